import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { brokerAnswers, createTopics, uniqueName } from './broker.js';
import { BROKERS, COLD } from './config.js';
import { fmt, type Report } from './report.js';
import { summarize } from './stats.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const BENCH = join(ROOT, 'bench');
const CORE = pathToFileURL(join(ROOT, 'packages/core/dist/index.js')).href;
// The producer has its own entry: a function that never produces never loads it.
const PRODUCER = pathToFileURL(join(ROOT, 'packages/core/dist/producer.js')).href;
const serdesEntry = (name: string) => pathToFileURL(join(ROOT, `packages/serdes/dist/${name}.js`)).href;
const SERDES = serdesEntry('index');
const POWERTOOLS = import.meta.resolve('@aws-lambda-powertools/kafka');
const NATIVE = import.meta.resolve('@confluentinc/kafka-javascript');
const SERDES_JSON = '@kafka-lambda/serdes/json-schema + /registry (+ core)';
const SERDES_AVRO = '@kafka-lambda/serdes/avro + /registry (+ core, avsc types)';
const SECTION = 'Cold start (fresh `node` process per run)';
const BUNDLE_SECTION = 'Bundle size (esbuild, minified, platform node, ESM)';

/** Runs an ES module snippet in a fresh node and returns the number it prints. */
function child(code: string): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: BENCH,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return Number(out.trim().split('\n').pop());
}

/** The time to import `urls` together, as one function's imports. */
const importTime = (urls: readonly string[]) =>
  `const t = performance.now(); await Promise.all(${JSON.stringify(urls)}.map((u) => import(u))); ` +
  'console.log(performance.now() - t);';

export async function benchColdStart(report: Report): Promise<void> {
  const imports: Array<[string, string[]]> = [
    ['@kafka-lambda/core', [CORE]],
    ['@aws-lambda-powertools/kafka', [POWERTOOLS]],
    ['@kafka-lambda/serdes (+ core, avsc, protobufjs)', [SERDES]],
    // What a function that uses one format loads (issue 14: JSON-only ≤ 10 ms, Avro-only ≤ 25 ms).
    [SERDES_JSON, [serdesEntry('json-schema'), serdesEntry('registry')]],
    ['@kafka-lambda/serdes/registry (+ core)', [serdesEntry('registry')]],
    [SERDES_AVRO, [serdesEntry('avro'), serdesEntry('registry')]],
    ['@kafka-lambda/serdes/protobuf (+ core, protobufjs)', [serdesEntry('protobuf')]],
    ['@confluentinc/kafka-javascript (native addon)', [NATIVE]],
  ];
  const medians = new Map<string, number>();
  // Interleaved spawns, one warm-up round discarded (it fills the OS file cache).
  const samples = new Map(imports.map(([name]) => [name, [] as number[]]));
  for (let round = 0; round <= COLD.spawns; round++) {
    for (const [name, urls] of imports) {
      const ms = child(importTime(urls));
      if (round > 0) samples.get(name)!.push(ms);
    }
  }
  for (const [name] of imports) {
    const value = summarize(samples.get(name)!);
    medians.set(name, value.median);
    report.add({ section: SECTION, scenario: 'import', contender: name, unit: 'ms', value });
  }
  const core = medians.get('@kafka-lambda/core')!;
  const pt = medians.get('@aws-lambda-powertools/kafka')!;
  report.target(
    'Cold start: core imports faster than Powertools kafka',
    `${fmt(core)} vs ${fmt(pt)} ms (median of ${COLD.spawns})`,
    core < pt,
  );

  const json = medians.get(SERDES_JSON)!;
  const avro = medians.get(SERDES_AVRO)!;
  report.target(
    'Cold start: what a JSON-only function imports from serdes ≤ 10 ms',
    `${fmt(json)} ms`,
    json <= 10,
  );
  report.target(
    'Cold start: what an Avro-only function imports from serdes ≤ 25 ms',
    `${fmt(avro)} ms`,
    avro <= 25,
  );

  await importAndProduce(report);
  nativeAddonCheck(report);
  await bundles(report);
}

/** Import, build a producer, send one message and flush: what the first invocation of a cold producer-function pays. */
async function importAndProduce(report: Report): Promise<void> {
  if (!(await brokerAnswers())) {
    report.notes.push(`Cold start: import + first produce skipped, no broker at ${BROKERS}.`);
    return;
  }
  const topic = uniqueName('bench.cold');
  const drop = await createTopics([topic], 1);
  try {
    const code = `
      const t = performance.now();
      const { kafkaProducer } = await import(${JSON.stringify(PRODUCER)});
      const p = kafkaProducer({ 'bootstrap.servers': ${JSON.stringify(BROKERS)} });
      const delivered = p.send({ topic: ${JSON.stringify(topic)}, key: null, value: Buffer.from('hello') });
      await p.flush(10000); await delivered;
      const ms = performance.now() - t;
      await p.close();
      console.log(ms);`;
    const samples: number[] = [];
    for (let i = 0; i <= COLD.spawns; i++) {
      const ms = child(code);
      if (i > 0) samples.push(ms);
    }
    report.add({
      section: SECTION,
      scenario: 'import + first produce (acks=all, flush)',
      contender: '@kafka-lambda/core',
      unit: 'ms',
      value: summarize(samples),
      note: 'includes loading the native addon, connect, idempotent producer id, one delivery',
    });
  } finally {
    await drop();
  }
}

/** A consumer-only handler must never dlopen the librdkafka addon; a producer-declaring one does (control). */
function nativeAddonCheck(report: Report): void {
  const code = (withProducer: boolean) => `
    const { createKafkaHandler, jsonLogger } = await import(${JSON.stringify(CORE)});
    ${withProducer ? `const { kafkaProducer } = await import(${JSON.stringify(PRODUCER)});` : ''}
    const handler = createKafkaHandler({
      logger: jsonLogger({ write() {} }),
      ${withProducer ? `producer: kafkaProducer({ 'bootstrap.servers': ${JSON.stringify(BROKERS)} }),` : ''}
      process() {},
    });
    await handler({ eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't', partition: 0, offset: 0, timestamp: 0, timestampType: 'CREATE_TIME', key: null, value: 'aGk=' }] } }, { getRemainingTimeInMillis: () => 60000 });
    await new Promise((r) => setTimeout(r, 300));
    const objects = process.report.getReport().sharedObjects.filter((o) => /kafka|rdkafka/i.test(o));
    console.log(objects.length);
    process.exit(0);`;
  const consumer = child(code(false));
  const producer = child(code(true));
  report.add({
    section: SECTION,
    scenario: 'native addon loaded? (shared objects matching /kafka/)',
    contender: 'consumer-only handler',
    unit: 'count',
    value: { min: consumer, median: consumer, max: consumer, n: 1 },
    note: `control, handler declaring a producer: ${producer}`,
  });
  report.target(
    'Cold start: a consumer-only handler never loads the native addon',
    `${consumer} kafka shared objects (consumer-only) vs ${producer} (with producer)`,
    consumer === 0 && producer > 0,
  );
}

async function bundles(report: Report): Promise<void> {
  const external = ['@confluentinc/kafka-javascript', '@aws-sdk/*'];
  const cases: Array<[string, string, string[]]> = [
    ['@kafka-lambda/core (whole package)', `export * from '@kafka-lambda/core';`, external],
    [
      '@kafka-lambda/serdes (whole package; core external)',
      `export * from '@kafka-lambda/serdes';`,
      [...external, '@kafka-lambda/core'],
    ],
    // Powertools imports avro-js / protobufjs on demand; users install them: keep them out, as for ours.
    [
      '@aws-lambda-powertools/kafka (whole package)',
      `export * from '@aws-lambda-powertools/kafka';`,
      [...external, 'avro-js', 'protobufjs'],
    ],
    [
      'JSON consumer handler, kafka-lambda',
      `import { createKafkaHandler, json } from '@kafka-lambda/core';
       export const handler = createKafkaHandler({ value: json(), async process(r) {
         console.log(r.key, r.value, r.headers.getString('trace-id'));
       } });`,
      external,
    ],
    // What a function that produces bundles (no idempotency, no transactions): core and its producer.
    [
      'JSON handler that produces, kafka-lambda',
      `import { createKafkaHandler, json } from '@kafka-lambda/core';
       import { kafkaProducer } from '@kafka-lambda/core/producer';
       const producer = kafkaProducer({ 'bootstrap.servers': process.env.KAFKA_BROKERS });
       export const handler = createKafkaHandler({ value: json(), producer, onError: { policy: 'dead-letter', topic: 'orders.dlq' }, async process(r, { produce }) {
           produce({ topic: 'out', key: r.key, value: JSON.stringify(r.value), headers: { 'trace-id': r.headers.getString('trace-id') ?? '' } });
       } });`,
      external,
    ],
    [
      'JSON consumer handler, Powertools',
      `import { kafkaConsumer } from '@aws-lambda-powertools/kafka';
       export const handler = kafkaConsumer(async (e) => { for (const r of e.records) console.log(r.value); }, { value: { type: 'json' } });`,
      [...external, 'avro-js', 'protobufjs'],
    ],
  ];
  const sizes = new Map<string, number>();
  for (const [name, contents, externals] of cases) {
    const result = await build({
      stdin: { contents, resolveDir: BENCH, loader: 'ts' },
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`, // the Node that runs it
      external: externals,
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const kb = code.length / 1024;
    sizes.set(name, kb);
    report.add({
      section: BUNDLE_SECTION,
      scenario: name,
      contender: 'minified',
      unit: 'KiB',
      value: { min: kb, median: kb, max: kb, n: 1 },
      note: `${fmt(gzipSync(code).length / 1024)} KiB gzipped`,
    });
  }
  const core = sizes.get('@kafka-lambda/core (whole package)')!;
  const pt = sizes.get('@aws-lambda-powertools/kafka (whole package)')!;
  const coreHandler = sizes.get('JSON consumer handler, kafka-lambda')!;
  const ptHandler = sizes.get('JSON consumer handler, Powertools')!;
  report.target(
    'Bundle: core bundles smaller than Powertools kafka',
    `package ${fmt(core)} vs ${fmt(pt)} KiB; JSON handler ${fmt(coreHandler)} vs ${fmt(ptHandler)} KiB`,
    core < pt && coreHandler < ptHandler,
  );
  // Issue 25's budgets: the engine alone for a consumer, the engine and the producer for the rest.
  const producing = sizes.get('JSON handler that produces, kafka-lambda')!;
  report.target(
    'Bundle: a consumer-only JSON handler ≤ 20 KiB',
    `${fmt(coreHandler)} KiB`,
    coreHandler <= 20,
  );
  report.target('Bundle: a JSON handler that produces ≤ 60 KiB', `${fmt(producing)} KiB`, producing <= 60);
}
