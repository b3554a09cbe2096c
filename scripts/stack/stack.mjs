#!/usr/bin/env node
// The local real stack for kafka-lambda: Kafka (KRaft), Apicurio Schema Registry, moto
// Secrets Manager, and the Lambda RIE. See scripts/stack/README.md.
//
//   node scripts/stack/stack.mjs up | down [--purge] | status | env | verify
import { envExports } from './env.mjs';

const [cmd, ...rest] = process.argv.slice(2);
const flags = new Set(rest);

const commands = {
  async up() {
    const t = Date.now();
    const { up } = await import('./control.mjs');
    await up({ quiet: flags.has('--quiet') });
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
    console.log(envExports());
  },
  async verify() {
    const { verify } = await import('./verify.mjs');
    await verify();
  },
};

const run = commands[cmd];
if (!run) {
  console.error(
    'usage: node scripts/stack/stack.mjs <up [--quiet] | down [--purge] | status | env | verify>',
  );
  process.exit(2);
}
try {
  await run();
} catch (err) {
  console.error(`stack ${cmd}: ${err.message}`);
  process.exit(1);
}
