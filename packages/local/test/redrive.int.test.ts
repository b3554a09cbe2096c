// kafka-lambda redrive on the real broker: dead letters written by a real handler are sent back to
// their source partition with their key, value and headers, filtered, at a bounded rate; a truncated
// one and a foreign message are reported, never sent; a dry run sends nothing; the bin prints the same.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createKafkaHandler, DEAD_LETTER_HEADERS, json } from '@kafka-lambda/core';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { readTopic } from '../../../test/support/kafka.js';
import { REDRIVE_COUNT_HEADER, redriveDeadLetters } from '../src/index.js';
import { brokers, createTopic, produce } from './helpers/kafka.js';

const producers: RdKafkaProducer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(2_000).catch(() => undefined)));
});
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const cli = fileURLToPath(new URL('../dist/kafka-lambda-cli.js', import.meta.url));

describe('redriveDeadLetters (real broker)', () => {
  it('sends the failed records back where they came from, once the bug is fixed', async () => {
    const source = await createTopic(2, 'orders');
    const dlq = await createTopic(1, 'orders-dlq');
    const producer = kafkaProducer({ 'bootstrap.servers': brokers() });
    producers.push(producer);
    let fixed = false;
    const handler = createKafkaHandler({
      value: json<{ id: number; kind: string }>(),
      producer,
      onError: { policy: 'dead-letter', topic: dlq, allFailedAlike: 'apply-policy' },
      logger: silent,
      process(record) {
        if (fixed) return;
        if (record.value.kind === 'range')
          throw new RangeError(`order ${record.value.id} total out of range`);
        if (record.value.kind === 'type') throw new TypeError(`order ${record.value.id} has no customer`);
      },
    });
    const event = mskEvent(
      [
        { key: 'o-1', value: { id: 1, kind: 'ok' }, partition: 0, offset: 0 },
        {
          key: 'o-2',
          value: { id: 2, kind: 'range' },
          partition: 0,
          offset: 1,
          headers: { traceparent: '00-aa-01' },
        },
        { key: 'o-3', value: { id: 3, kind: 'type' }, partition: 1, offset: 0 },
        { key: 'o-4', value: { id: 4, kind: 'range' }, partition: 1, offset: 1 },
      ],
      { topic: source },
    );
    await handler(event, lambdaContext());
    // Beside the three dead letters: one cut to fit, and a message that is no dead letter at all.
    await produce(dlq, [
      {
        partition: 0,
        key: 'o-9',
        value: 'the first bytes only',
        headers: [
          [DEAD_LETTER_HEADERS.sourceTopic, Buffer.from(source)],
          [DEAD_LETTER_HEADERS.sourcePartition, Buffer.from('0')],
          [DEAD_LETTER_HEADERS.sourceOffset, Buffer.from('9')],
          [DEAD_LETTER_HEADERS.valueTruncated, Buffer.from('2000000')],
        ],
      },
      { partition: 0, value: 'written by hand' },
    ]);

    const dry = await redriveDeadLetters({ brokers: brokers(), from: dlq, dryRun: true });
    expect(dry).toEqual({
      read: 5,
      redriven: 3,
      skipped: { 'not-a-dead-letter': 1, truncated: 1, filtered: 0 },
      dryRun: true,
    });
    expect(await readTopic(source, 0, { timeoutMs: 500, settleMs: 1_000 })).toEqual([]);

    fixed = true;
    const started = Date.now();
    const summary = await redriveDeadLetters({
      brokers: brokers(),
      from: dlq,
      filter: { errorClass: 'RangeError' },
      ratePerSecond: 4,
    });
    expect(summary).toMatchObject({ read: 5, redriven: 2, skipped: { filtered: 1, truncated: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // the second of two at 4 a second
    const back = await readTopic(source, 2, { settleMs: 1_000 });
    expect(back.map((m) => [m.key, m.partition, m.value?.toString()]).sort()).toEqual([
      ['o-2', 0, '{"id":2,"kind":"range"}'],
      ['o-4', 1, '{"id":4,"kind":"range"}'],
    ]);
    const o2 = back.find((m) => m.key === 'o-2')!;
    expect(o2.headers).toEqual({ traceparent: '00-aa-01', [REDRIVE_COUNT_HEADER]: '1' });

    // The redriven records run again, now fixed: nothing more is dead-lettered.
    const again = mskEvent(
      back.map((m) => ({
        key: m.key!,
        value: JSON.parse(m.value!.toString()) as { id: number; kind: string },
        partition: m.partition,
        offset: m.offset,
      })),
      { topic: source },
    );
    await handler(again, lambdaContext());
    expect(await readTopic(dlq, 5, { settleMs: 1_000 })).toHaveLength(5);
  });

  it('the bin: a dry run prints what would move and the counts; bad arguments exit 2', async () => {
    expect(existsSync(cli)).toBe(true); // built by `pnpm test` before the suites run
    const dlq = await createTopic(1, 'cli-dlq');
    await produce(dlq, [{ partition: 0, value: 'written by hand' }]);
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [
      cli,
      'redrive',
      '--from',
      dlq,
      '--brokers',
      brokers(),
      '--dry-run',
    ]);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({
      read: 1,
      redriven: 0,
      dryRun: true,
    });
    const bad = await run(process.execPath, [cli, 'redrive']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/--from/);
  });
});
