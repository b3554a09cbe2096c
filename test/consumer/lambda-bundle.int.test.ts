// The trade-settlement function as it is deployed: bundled by the example's `pnpm bundle` (kafka-lambda
// bundle) for the Lambda runtime of the Node running this test (nodejs22.x or nodejs24.x: CI runs the
// suite on both), the native Kafka client kept external and shipped beside the bundle, built for that
// runtime's ABI, with the .proto the serializer reads.
// The bundle is copied to a task root outside the workspace (as Lambda's /var/task: nothing else to
// resolve from) and run inside the Runtime Interface Emulator on the local stack. A trace records which
// CommonJS modules and shared objects the runtime process actually loaded.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runEventSource } from '@kafka-lambda/local';
import { afterAll, describe, expect, it } from 'vitest';
import { produceAll, readAll, recreateTopics } from '../../examples/trade-settlement/src/demo/kafka-admin.js';
import { localDeployment } from '../../examples/trade-settlement/src/demo/local-deployment.js';
import { generateTrades } from '../../examples/trade-settlement/src/demo/trade-generator.js';
import { WORKSPACE } from './support/consumer-project.js';

const env = process.env as Record<string, string>;
const EXAMPLE = join(WORKSPACE, 'examples', 'trade-settlement');
const NATIVE = '@confluentinc/kafka-javascript';
const ADDON = `node_modules/${NATIVE}/build/Release/confluent-kafka-javascript.node`;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// Loaded by the emulator's runtime in place of index.mjs: calls the real handler, then records the
// CommonJS modules in require.cache (the native client's JS, bindings, the addon) and the shared objects
// mapped into the process (the addon, librdkafka and the system libraries they link).
const TRACE_WRAPPER = `
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fn from './index.mjs';
const require = createRequire(import.meta.url);
export async function handler(event, context) {
  try {
    return await fn.handler(event, context);
  } finally {
    const mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').map((line) => line.split(/\\s+/)[5]);
    writeFileSync(process.env.TRACE_FILE, JSON.stringify({
      modules: Object.keys(require.cache),
      sharedObjects: [...new Set(mapped.filter((p) => p && p.startsWith('/') && /\\.(so(\\.[\\d.]+)?|node)$/.test(p)))],
    }));
  }
}
`;

const taskRoots: string[] = [];
afterAll(() => {
  for (const dir of taskRoots) rmSync(dir, { recursive: true, force: true });
});

// The emulator runs the function on this Node, so the bundle targets it: a bundle for another runtime
// would ship an addon this Node cannot load.
const target = `node${process.versions.node.split('.')[0]}`;
const LAMBDA_RUNTIMES = ['node22', 'node24'];

describe.skipIf(!LAMBDA_RUNTIMES.includes(target))(`the trade-settlement Lambda bundle for ${target}`, () => {
  it('keeps the native client out of index.mjs, ships it beside it, and settles trades inside the RIE loading nothing else', async () => {
    const printed = execFileSync('pnpm', ['run', '--silent', 'bundle'], { cwd: EXAMPLE, encoding: 'utf8' });
    expect(printed).toContain(
      `(${target.replace('node', 'nodejs')}.x, ${process.arch === 'arm64' ? 'arm64' : 'x86_64'})`,
    );
    expect(printed).toMatch(
      /native client: confluent-kafka-javascript\.node.* stripped [\d.]+ MiB -> [\d.]+ MiB/,
    );
    expect(printed).toContain("loads in a clean directory with Lambda's environment");
    const task = mkdtempSync(join(tmpdir(), `kafka-lambda-task-${target}-`));
    taskRoots.push(task);
    cpSync(join(EXAMPLE, 'dist', 'lambda'), task, { recursive: true });

    // What the deployment package holds, and that the native client's JavaScript is not inlined.
    expect(readdirSync(task).sort()).toEqual([
      'index.mjs',
      'index.mjs.map',
      'node_modules',
      'package.json',
      'proto',
    ]);
    expect(readdirSync(join(task, 'proto'))).toEqual(['trade_settlement.proto']);
    expect(readdirSync(join(task, 'node_modules')).sort()).toEqual([
      '@confluentinc',
      'bindings',
      'file-uri-to-path',
    ]);
    expect(statSync(join(task, ADDON)).isFile()).toBe(true);
    const bundle = readFileSync(join(task, 'index.mjs'), 'utf8');
    expect(bundle).toMatch(/import\(\s*["']@confluentinc\/kafka-javascript["']\s*\)/);
    expect(bundle).not.toContain("'confluent-kafka-javascript'"); // librdkafka.js: bindings('confluent-kafka-javascript')
    expect(bundle).not.toContain('confluent-kafka-javascript');
    expect(bundle).not.toContain('KafkaJSError'); // lib/kafkajs/_error.js
    expect(bundle).not.toMatch(/require\(\s*["']bindings["']\s*\)/);

    const sizes = {
      target,
      indexMjs: statSync(join(task, 'index.mjs')).size,
      indexMjsGzip: gzipSync(readFileSync(join(task, 'index.mjs'))).length,
      nodeModules: directorySize(join(task, 'node_modules')),
      addon: statSync(join(task, ADDON)).size,
    };
    console.log(
      `bundle size ${target}: index.mjs ${kib(sizes.indexMjs)} (${kib(sizes.indexMjsGzip)} gzip), ` +
        `shipped node_modules ${kib(sizes.nodeModules)} (addon ${kib(sizes.addon)})`,
    );

    // Run it in the emulator, from the task root, on a real topic.
    writeFileSync(join(task, 'kafka-lambda-trace.mjs'), TRACE_WRAPPER);
    const traceFile = join(task, '..', `${randomUUID()}.trace.json`);
    const run = randomUUID().slice(0, 8);
    const topics = {
      input: `user_trades.bundle.${run}`,
      output: `trade-settlements.bundle.${run}`,
      deadLetter: `user_trades.dlq.bundle.${run}`,
    };
    await recreateTopics(env.KAFKA_BROKERS!, [
      { topic: topics.input, partitions: 2 },
      { topic: topics.output, partitions: 1 },
      { topic: topics.deadLetter, partitions: 1 },
    ]);
    const secretId = `kafka-lambda/bundle/${run}`;
    const functionEnv = await localDeployment(env, { secretId, topics });
    const trades = generateTrades(80, 13);
    const corrupt = trades.filter((trade) => trade.corrupt).length;
    expect(corrupt).toBeGreaterThan(0);
    await produceAll(
      env.KAFKA_BROKERS!,
      topics.input,
      trades.map(({ key, value }) => ({ key, value })),
    );

    const runner = await runEventSource({
      brokers: env.KAFKA_BROKERS!,
      topics: [topics.input],
      batchSize: 40,
      batchWindowMs: 100,
      rie: {
        handlerFile: join(task, 'kafka-lambda-trace.mjs'),
        env: {
          TRACE_FILE: traceFile,
          ...functionEnv,
          LAMBDA_TASK_ROOT: task,
          NODE_OPTIONS: '',
          NODE_PATH: '',
        },
      },
      logger: quiet,
    });
    try {
      await runner.waitFor((stats) => stats.recordsCommitted >= trades.length, 90_000);
    } finally {
      await runner.stop();
    }
    expect(runner.stats.errors).toBe(0);
    const written = await readAll(env.KAFKA_BROKERS!, topics.output, trades.length - corrupt);
    const letters = await readAll(env.KAFKA_BROKERS!, topics.deadLetter, corrupt);
    expect(written).toHaveLength(trades.length - corrupt);
    expect(letters).toHaveLength(corrupt);

    // What the function process loaded: CommonJS only from the shipped node_modules, the addon and
    // librdkafka from the task root, nothing from the workspace.
    const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as {
      modules: string[];
      sharedObjects: string[];
    };
    rmSync(traceFile, { force: true });
    expect(trace.modules).toContain(join(task, ADDON));
    expect(trace.modules).toContain(join(task, 'node_modules', NATIVE, 'librdkafka.js'));
    expect(trace.modules.filter((file) => !file.startsWith(join(task, 'node_modules') + '/'))).toEqual([]);
    expect(trace.sharedObjects).toContain(join(task, ADDON));
    expect(trace.sharedObjects.filter((file) => file.startsWith(WORKSPACE))).toEqual([]);
    const librdkafka = trace.sharedObjects.filter((file) => /\/librdkafka(\+\+)?\.so/.test(file));
    expect(librdkafka.every((file) => file.startsWith(task))).toBe(true);
    const system = trace.sharedObjects
      .filter((file) => !file.startsWith(task))
      .map((file) => file.split('/').pop());
    console.log(
      `bundle ${target}: loaded ${trace.modules.length} CommonJS modules from node_modules; system libraries mapped: ${system.sort().join(', ')}`,
    );
  }, 180_000);
});

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(path) : statSync(path).size;
  }
  return total;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
