// `pnpm demo`: the whole reference pipeline on the local stack, both halves (see ./pipeline.ts):
// datagen's stocktrade and users, joined by Kafka Streams into user_trades; the bundled function in
// the Lambda runtime emulator, fed by the local event source runner, writing Protobuf settlements
// through the registry; Kafka Streams reading them back through the registry into per-minute tables.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { ensureStack } from '../../../../scripts/stack/control.mjs';
// @ts-expect-error plain ESM script without types
import { stackHome } from '../../../../scripts/stack/env.mjs';
import { compareCells, DISPOSITIONS, runPipeline } from './pipeline.js';

const TRADES = Number(process.env.DEMO_TRADES ?? 2_000);
const started = Date.now();
const step = (text: string) => console.log(`\n▸ ${text}`);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;

console.log(
  'The trade-settlement pipeline end to end: from here about half a minute on a 2-core machine once the\n' +
    'stack and the Kafka Streams jars are cached (a first run fetches them from Maven Central and builds\n' +
    'the Lambda RIE with Go: add about three minutes).',
);
step('local stack: Kafka, Schema Registry, Secrets Manager and DynamoDB (moto), the Lambda RIE');
// Only what the pipeline uses: no Redis, no Jaeger (whose first build alone takes minutes).
await ensureStack({ quiet: false, parts: ['kafka', 'registry', 'secrets', 'rie'] });
const env = process.env as Record<string, string>;
const logDir = join(stackHome, 'run', 'demo');
mkdirSync(logDir, { recursive: true });

let shown = '';
const result = await runPipeline({
  env,
  trades: TRADES,
  secretId: 'kafka-lambda/demo/trade-settlement',
  logDir,
  onStep: step,
  onProgress({ stream, function: fn, expected }) {
    const settled = fn?.recordsCommitted ?? 0;
    const phase =
      stream.joined < expected.joined ? 'joining' : settled < expected.joined ? 'settling' : 'counting';
    const counted = (stream.tables.SETTLEMENTS_PER_DISPOSITION_PER_MINUTE ?? []).reduce(
      (sum, row) => sum + Number(row.SETTLEMENTS),
      0,
    );
    const line =
      `  [${elapsed()}] ${phase}: joined ${stream.joined}/${expected.joined} (${stream.skipped} skipped)` +
      ` · settled ${settled}/${expected.joined} in ${fn?.invocations ?? 0} invocations` +
      ` · counted ${counted}/${expected.settled}`;
    if (line === shown) return;
    shown = line;
    process.stdout.write(process.stdout.isTTY ? `\r${line}` : `${line}\n`);
  },
});
if (process.stdout.isTTY) process.stdout.write('\n');

const { expected } = result;
const time = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const money = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(2));
step(
  'the per-minute tables (Kafka Streams state stores), beside what the generated data says they must hold',
);
console.log('  window  symbol  disposition    count  expected    total amount        expected');
const rows = compareCells(expected.cells, result.cells);
for (const row of rows) {
  console.log(
    `  ${time(row.windowStart)}   ${row.symbol.padEnd(6)}  ${row.disposition.padEnd(11)} ${String(row.actual?.settlements ?? '-').padStart(6)} ${String(row.expected?.settlements ?? '-').padStart(9)} ${money(row.actual?.totalAmount).padStart(15)} ${money(row.expected?.totalAmount).padStart(15)}  ${row.matches ? '✓' : '✗'}`,
  );
}
console.log('\n  SETTLEMENTS_PER_DISPOSITION_PER_MINUTE');
console.log('  window  disposition    count  expected');
const perDisposition = new Map<string, number>();
for (const cell of expected.cells.values()) {
  const key = `${cell.windowStart}|${cell.disposition}`;
  perDisposition.set(key, (perDisposition.get(key) ?? 0) + cell.settlements);
}
let dispositionsMatch = true;
for (const row of [...result.perDisposition].sort(
  (a, b) =>
    a.windowStart - b.windowStart ||
    DISPOSITIONS.indexOf(a.disposition as never) - DISPOSITIONS.indexOf(b.disposition as never),
)) {
  const want = perDisposition.get(`${row.windowStart}|${row.disposition}`) ?? 0;
  perDisposition.delete(`${row.windowStart}|${row.disposition}`);
  if (want !== row.settlements) dispositionsMatch = false;
  console.log(
    `  ${time(row.windowStart)}   ${row.disposition.padEnd(11)} ${String(row.settlements).padStart(6)} ${String(want).padStart(9)}  ${want === row.settlements ? '✓' : '✗'}`,
  );
}
if (perDisposition.size > 0) dispositionsMatch = false;

const settled = rows.reduce((sum, row) => sum + (row.actual?.settlements ?? 0), 0);
const accounted = settled + result.deadLetters + result.stream.skipped;
console.log(
  `\n  ${accounted} of ${TRADES} trades accounted for: ${settled} settled and counted, ${result.deadLetters} dead-lettered by the function` +
    ` (expected ${expected.deadLetters}), ${result.stream.skipped} skipped by the stream processor as not JSON (expected ${expected.skipped}).`,
);
const ok =
  rows.every((row) => row.matches) &&
  dispositionsMatch &&
  accounted === TRADES &&
  result.deadLetters === expected.deadLetters &&
  result.stream.skipped === expected.skipped;
console.log(
  ok
    ? `  Every window matches the generated data. ${result.function.invocations} invocations; ${elapsed()} in all.`
    : '  MISMATCH: see the ✗ rows above.',
);
if (!ok) process.exitCode = 1;
process.exit();
