import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { MEMORY } from './config.js';
import { encodePayload, makeEvent, makeTrade } from './fixtures.js';
import { fmt, type Report } from './report.js';
import { summarize } from './stats.js';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(BENCH, 'node_modules/.cache/bench');
const MB = 1024 * 1024;

/** The largest event the ESM sends: 10,000 records totalling ~6 MB of JSON. */
function largeEvent(): string {
  // ~300 B JSON values: base64 (400 B) plus the record's envelope (~200 B) × 10,000 ≈ 6 MB.
  for (let legs = 0; legs < 20; legs++) {
    const text = JSON.stringify(
      makeEvent({ records: 10_000, partitions: 4, value: (i) => encodePayload('json', makeTrade(i, legs)) }),
    );
    if (text.length >= MEMORY.payloadBytes * 0.97) return text;
  }
  throw new Error('could not size the event');
}

/**
 * Peak RSS of a fresh process while its handler runs on one ~6 MB batch, over its RSS right before the
 * handler is called (modules loaded, handler warmed, event parsed, GC run). The peak is the kernel's
 * (VmHWM, reset before the call), which a synchronous loop cannot hide the way it hides an in-process
 * sampler. The runtime's own read + JSON.parse of the event is reported beside it.
 */
export async function benchMemory(report: Report): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const script = join(CACHE, 'memory-child.mjs');
  await build({
    entryPoints: [join(BENCH, 'src/children/memory-child.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  const text = largeEvent();
  const file = join(CACHE, 'event-6mb.json');
  writeFileSync(file, text);
  const payload = Buffer.byteLength(text);
  const modes: Array<[string, string]> = [
    ['ours', 'kafka-lambda'],
    ['powertools', 'Powertools kafkaConsumer'],
    ['bare', 'bare loop'],
  ];
  let oursIncrease = 0;
  for (const [mode, name] of modes) {
    const parse: number[] = [];
    const handling: number[] = [];
    let reset = true;
    for (let i = 0; i < MEMORY.repeats; i++) {
      const out = execFileSync(process.execPath, ['--expose-gc', script, mode, file], {
        cwd: CACHE,
        encoding: 'utf8',
      });
      const r = JSON.parse(out) as {
        baseline: number;
        parsePeak: number;
        beforeHandler: number;
        handlerPeak: number;
        reset: boolean;
      };
      parse.push((r.parsePeak - r.baseline) / MB);
      handling.push((r.handlerPeak - r.beforeHandler) / MB);
      reset &&= r.reset;
    }
    const value = summarize(handling);
    if (mode === 'ours') oursIncrease = value.median;
    report.add({
      section: `Memory: peak RSS increase handling one ${fmt(payload / MB)} MB event (10,000 records)`,
      scenario: 'handle the parsed event',
      contender: name,
      unit: 'MB over RSS before handling',
      value,
      ratio: `${fmt(value.median / (payload / MB))}× payload`,
      note:
        `before it, the runtime's read + JSON.parse of the event peaked at +${fmt(summarize(parse).median)} MB` +
        (reset ? '' : ' (peak not resettable here: figure includes the parse)'),
    });
  }
  report.target(
    'Memory: peak RSS increase ≤ 3× the 6 MB payload',
    `${fmt(oursIncrease)} MB = ${fmt(oursIncrease / (payload / MB))}× (payload ${fmt(payload / MB)} MB)`,
    oursIncrease <= 3 * (payload / MB),
  );
}
