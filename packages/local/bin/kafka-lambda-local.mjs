#!/usr/bin/env node
// The `kafka-lambda-local` command (the local event source): dist/kafka-lambda-local-cli.js, loaded
// through this file for the reason bin/kafka-lambda.mjs gives (a workspace links a bin at install time,
// before the package is built).
import '../dist/kafka-lambda-local-cli.js';
