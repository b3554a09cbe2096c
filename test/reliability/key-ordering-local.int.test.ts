// Issue 26 through the local event source: `kafka-lambda-local --ordering key` on the shared broker
// runs a handler whose code sets no ordering with KAFKA_LAMBDA_ORDERING=key: the keys of a partition
// side by side, each key's records one at a time in offset order.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NativeProducer } from '../../packages/local/src/runner/destinations/native-producer.js';
import { brokers, createTopics, uniqueTopic } from '../support/kafka.js';

const cli = fileURLToPath(new URL('../../packages/local/dist/kafka-lambda-local-cli.js', import.meta.url));
const core = pathToFileURL(fileURLToPath(new URL('../../packages/core/dist/index.js', import.meta.url))).href;
const KEYS = 4;
const RECORDS = 40;

/** A handler that sets no `ordering`: each record waits 20 ms and says when it started and ended. */
function handlerFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'key-ordering-local-')), 'handler.mjs');
  writeFileSync(
    file,
    `import { createKafkaHandler, string } from ${JSON.stringify(core)};
export const handler = createKafkaHandler({
  value: string(),
  logSummary: false,
  async process(record) {
    process.stderr.write('START ' + record.key + ' ' + record.offset + '\\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.stderr.write('END ' + record.key + ' ' + record.offset + '\\n');
  },
});
`,
  );
  return file;
}

async function produce(topic: string): Promise<void> {
  const producer = new NativeProducer(brokers());
  try {
    await producer.sendAll(
      Array.from({ length: RECORDS }, (_, i) => ({
        topic,
        partition: 0,
        key: Buffer.from(`account-${i % KEYS}`),
        value: Buffer.from(`settlement-${i}`),
      })),
      15_000,
    );
  } finally {
    await producer.close();
  }
}

/** Runs the CLI until every record ended, then stops it with SIGINT; returns its stderr. */
async function runCli(topic: string, extra: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      cli,
      handlerFile(),
      '-t',
      topic,
      '--brokers',
      brokers(),
      '--batch-size',
      '100',
      '--batch-window-ms',
      '1000',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 45_000;
  while ((stderr.match(/^END /gm) ?? []).length < RECORDS && Date.now() < deadline && child.exitCode === null)
    await new Promise((resolve) => setTimeout(resolve, 100));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  return stderr;
}

/** The most records in flight at once, overall and of one key, and each key's start order. */
function timeline(stderr: string) {
  let now = 0;
  let most = 0;
  let mostOfOneKey = 0;
  const running = new Map<string, number>();
  const starts = new Map<string, number[]>();
  for (const [, what, key, offset] of stderr.matchAll(/^(START|END) (\S+) (\d+)$/gm)) {
    const delta = what === 'START' ? 1 : -1;
    now += delta;
    running.set(key!, (running.get(key!) ?? 0) + delta);
    most = Math.max(most, now);
    mostOfOneKey = Math.max(mostOfOneKey, running.get(key!)!);
    if (what === 'START') starts.set(key!, [...(starts.get(key!) ?? []), Number(offset)]);
  }
  return { most, mostOfOneKey, starts };
}

describe('kafka-lambda-local --ordering (shared broker)', () => {
  it('--ordering key: the handler runs by key; without it, by partition', async () => {
    expect(existsSync(cli)).toBe(true); // built by `pnpm test` before the suites run
    const topic = uniqueTopic('key-ordering.local');
    await createTopics([{ topic }]);
    await produce(topic);

    const byKey = await runCli(topic, ['--ordering', 'key']);
    expect(byKey).toContain('ordering: key (KAFKA_LAMBDA_ORDERING');
    const keyed = timeline(byKey);
    expect(keyed.mostOfOneKey).toBe(1);
    expect(keyed.most).toBe(KEYS);
    for (let k = 0; k < KEYS; k++) {
      const offsets = keyed.starts.get(`account-${k}`)!;
      expect(offsets).toHaveLength(RECORDS / KEYS);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }

    const byPartition = timeline(await runCli(topic, []));
    expect(byPartition.most).toBe(1);
  }, 120_000);
});
