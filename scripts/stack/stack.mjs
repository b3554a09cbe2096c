#!/usr/bin/env node
// The local real stack for kafka-lambda: Kafka (KRaft), Apicurio Schema Registry, moto
// Secrets Manager and DynamoDB, Redis, Jaeger, and the Lambda RIE. See scripts/stack/README.md.
//
//   node scripts/stack/stack.mjs up [part...] | down [--purge] | status | env [--sasl] | verify
import { envExports, shellEnv } from './env.mjs';

const [cmd, ...rest] = process.argv.slice(2);
const flags = new Set(rest.filter((arg) => arg.startsWith('--')));
const parts = rest.filter((arg) => !arg.startsWith('--'));

const commands = {
  async up() {
    const t = Date.now();
    const { up, PARTS } = await import('./control.mjs');
    await up({ quiet: flags.has('--quiet'), parts: parts.length > 0 ? parts : PARTS });
    if (!flags.has('--quiet'))
      console.log(
        `stack up in ${((Date.now() - t) / 1000).toFixed(1)}s — eval "$(node scripts/stack/stack.mjs env)"`,
      );
  },
  async down() {
    const { down } = await import('./control.mjs');
    await down({ purge: flags.has('--purge') });
  },
  async status() {
    const { status } = await import('./control.mjs');
    console.log(await status());
  },
  async env() {
    // PLAINTEXT by default; --sasl points KAFKA_BROKERS at the SASL listener, with its credentials.
    console.log(envExports(shellEnv(flags.has('--sasl') ? 'sasl' : 'plaintext')));
  },
  async verify() {
    const { verify } = await import('./verify.mjs');
    await verify();
  },
};

const run = commands[cmd];
if (!run) {
  console.error(
    'usage: node scripts/stack/stack.mjs <up [part...] [--quiet] | down [--purge] | status | env [--sasl] | verify>\n' +
      '  parts: kafka registry secrets redis jaeger rie (default: all)',
  );
  process.exit(2);
}
try {
  await run();
} catch (err) {
  console.error(`stack ${cmd}: ${err.message}`);
  process.exit(1);
}
