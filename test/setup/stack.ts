// Integration tests talk to real servers on loopback. Before any test file runs, this starts (or
// reuses) the parts nearly every integration file uses: Kafka, the registry, moto, and installs the
// RIE. Redis and Jaeger start only when a file that reads their variables runs (on-demand-parts.ts).
// ensureStack() copies every endpoint into process.env, which the test processes, forked
// afterwards, inherit.
// @ts-expect-error plain ESM script without types
import { ensureStack } from '../../scripts/stack/control.mjs';

export default async function setup(): Promise<void> {
  await ensureStack({ quiet: false, parts: ['kafka', 'registry', 'secrets', 'rie'] });
}
