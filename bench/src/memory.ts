import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { MEMORY } from './config.js';
import { encodePayload, eventRecords, makeEvent, makeTrade } from './fixtures.js';
import { fmt, type Report } from './report.js';
import { summarize } from './stats.js';

const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(BENCH, 'node_modules/.cache/bench');
const MB = 1024 * 1024;

/** The largest event the ESM sends: 10,000 records totalling ~6 MB of JSON, one traceparent header each. */
function largeEvent(): string {
  // JSON values, base64, the record's envelope and a 55-byte header (as the ESM's signed-byte list).
  for (let legs = 0; legs < 20; legs++) {
    const event = makeEvent({
      records: 10_000,
      partitions: 6,
      value: (i) => encodePayload('json', makeTrade(i, legs)),
    });
    for (const record of eventRecords(event)) {
      const trace = `00-${(record.offset + 1).toString(16).padStart(32, '0')}-${'1'.repeat(16)}-01`;
      record.headers = [{ traceparent: [...Buffer.from(trace)] }];
    }
    const text = JSON.stringify(event);
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
  await bundleChild(script, 'memory-child');
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
      section: `Memory: peak RSS increase handling one ${fmt(payload / MB)} MB event (10,000 records, realistic handler)`,
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
  await benchBackPressure(report);
}

/**
 * RSS under back-pressure: one invocation producing 10,000 × 30 KB (300 MB) at acks=all through an
 * 8 MiB librdkafka queue and a 16 MiB producer backlog. `process` needs no code for it: the handler
 * awaits `whenWritable` between records while the producer holds a backlog.
 */
async function benchBackPressure(report: Report): Promise<void> {
  const { brokerAnswers, createTopics, uniqueName } = await import('./broker.js');
  const { BROKERS } = await import('./config.js');
  const section = 'Memory under back-pressure: one invocation producing 300 MB at acks=all';
  if (!(await brokerAnswers())) {
    report.notes.push(`Back-pressure memory: skipped, no broker at ${BROKERS}.`);
    return;
  }
  const script = join(CACHE, 'backpressure-child.mjs');
  await bundleChild(script, 'backpressure-child');
  const topic = uniqueName('bench.backpressure');
  const drop = await createTopics([topic], 3);
  try {
    const peaks: number[] = [];
    const times: number[] = [];
    let last: Record<string, number | string | boolean | undefined> = {};
    for (let i = 0; i < MEMORY.repeats; i++) {
      const out = execFileSync(process.execPath, ['--expose-gc', script, topic, BROKERS, '30'], {
        cwd: CACHE,
        encoding: 'utf8',
      });
      last = JSON.parse(out.trim().split('\n').pop()!);
      peaks.push(((last.handlerPeak as number) - (last.before as number)) / MB);
      times.push(last.ms as number);
    }
    const value = summarize(peaks);
    const attempted = (last.attempted as number) / MB;
    const bound = ((last.queueBytes as number) + (last.backlogBytes as number)) / MB;
    report.add({
      section,
      scenario: '10,000 × 30 KB results, 8 MiB librdkafka queue, 16 MiB backlog',
      contender: 'kafka-lambda',
      unit: 'MB over RSS before handling',
      value,
      ratio: `${fmt(value.median / attempted)}× attempted (${fmt(attempted)} MB)`,
      note: `${last.delivered} delivered, ${last.failed} failed${last.error ? `, error: ${last.error}` : ''}; ${fmt(summarize(times).median)} ms; queue + backlog = ${fmt(bound)} MB`,
    });
    report.target(
      'Memory: RSS under back-pressure bounded by the queue and backlog, not by what is produced',
      `+${fmt(value.median)} MB for ${fmt(attempted)} MB produced (queue + backlog ${fmt(bound)} MB), ${last.failed} failed`,
      value.median < attempted / 2 && last.failed === 0 && !last.error,
    );
  } finally {
    await drop();
  }
}

/** Bundles one child script of the bench (its packages stay external, as a deployed function's would). */
async function bundleChild(outfile: string, name: string): Promise<void> {
  await build({
    entryPoints: [join(BENCH, `src/children/${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
}
