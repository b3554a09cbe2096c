import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUICK } from './config.js';
import { Report } from './report.js';

// BENCH_OUT redirects the results (e.g. a smoke run that must not replace the committed ones).
const OUT = process.env.BENCH_OUT ?? join(dirname(fileURLToPath(import.meta.url)), '../../docs/bench');
// BENCH_ONLY=decode,produce runs a subset (while iterating on one benchmark).
const only = process.env.BENCH_ONLY?.split(',');

const report = new Report();
const started = performance.now();
const step = async (name: string, fn: () => Promise<void>) => {
  if (only && !only.includes(name)) return;
  const t = performance.now();
  console.error(`[bench] ${name}…`);
  await fn();
  console.error(`[bench] ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
};

// Each benchmark is imported when it runs, so that one never loads another's modules (or the native addon).
await step('decode', async () => {
  const { benchRegistry } = await import('./registry.js');
  const reg = await benchRegistry();
  report.notes.push(`Avro/Protobuf schemas come from the ${reg.kind}.`);
  await (await import('./decode.js')).benchDecode(report, reg);
});
await step('realistic', async () => {
  const { benchRegistry } = await import('./registry.js');
  await (await import('./realistic.js')).benchRealistic(report, await benchRegistry());
});
await step('realistic-gc', async () => {
  const { benchRegistry } = await import('./registry.js');
  await (await import('./realistic.js')).benchRealisticAfterGc(report, await benchRegistry());
});
await step('produce', async () => (await import('./produce.js')).benchProduce(report));
await step('cold-start', async () => (await import('./cold-start.js')).benchColdStart(report));
await step('memory', async () => (await import('./memory.js')).benchMemory(report));
await step('scaling', async () => (await import('./scaling.js')).benchScaling(report));
await step('ordering', async () => (await import('./ordering.js')).benchOrdering(report));
await step('tracing', async () => (await import('./tracing.js')).benchTracing(report));
await step('transactions', async () => (await import('./transactions.js')).benchTransactions(report));
await step('idempotency', async () => (await import('./idempotency.js')).benchIdempotency(report));
report.write(OUT);
console.error(
  `[bench] ${QUICK ? 'quick ' : ''}run took ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${OUT}`,
);
process.exit(0);
