#!/usr/bin/env node
// The `kafka-lambda` command (addon, bundle, redrive): dist/kafka-lambda-cli.js, loaded through this
// file because a bin must exist when it is linked, and in a pnpm workspace that is at install time,
// before the package is built (the example's `pnpm bundle` runs `kafka-lambda bundle`).
import '../dist/kafka-lambda-cli.js';
