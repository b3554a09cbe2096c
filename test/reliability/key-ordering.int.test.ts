// Issue 26 on the shared broker with the real client: `ordering: 'key'` runs the records of different
// keys at once and each key's records one at a time, and the outputs read back from the topic keep
// each key's order (one output partition per key, idempotent producer), transactional too. Under
// `report`, a failure stops its key only; the ESM's retry from the reported offset re-runs the other
// keys' records above it (what the init warning says).
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, type ReadMessage, readTopic, uniqueTopic } from '../support/kafka.js';
import { captureLogger, kafkaEvent, lambdaContext } from '../support/reliability.js';

const ACCOUNTS = 10;
const RECORDS = 300;
const producers: RdKafkaProducer[] = [];

afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(1_000).catch(() => undefined)));
}, 30_000);

function producer(transactional = false): RdKafkaProducer {
  const p = kafkaProducer(
    { 'bootstrap.servers': brokers(), log_level: 0 },
    {
      logger: captureLogger(),
      ...(transactional ? { transactional: { idPrefix: 'key-ordering-int' } } : {}),
    },
  );
  producers.push(p);
  return p;
}

/** Offsets `from`..RECORDS-1 of one partition, keyed by account (offset mod ACCOUNTS). */
function settlements(topic: string, from = 0) {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return kafkaEvent(
    Array.from({ length: RECORDS - from }, (_, i) => {
      const offset = from + i;
      const account = `acct-${offset % ACCOUNTS}`;
      return {
        topic,
        partition: 0,
        offset,
        timestamp: 1_700_000_000_000 + offset,
        timestampType: 'CREATE_TIME',
        key: b64(account),
        value: b64(JSON.stringify({ account, seq: offset })),
        headers: [],
      };
    }),
  );
}

/** A settlement handler: each record waits 0–4 ms (I/O), then produces `{account, seq}` keyed by account. */
function settler(
  out: string,
  p: RdKafkaProducer,
  options: { onError?: 'report' | 'log'; poison?: number } = {},
) {
  const inFlight = { now: 0, most: 0, ofOneKey: 0 };
  const running = new Map<string, number>();
  const handler = createKafkaHandler({
    value: json<{ account: string; seq: number }>(),
    producer: p,
    ordering: 'key',
    concurrency: 20,
    onError: options.onError ?? 'log',
    logger: captureLogger(),
    async process(record, { produce }) {
      const { account, seq } = record.value;
      inFlight.most = Math.max(inFlight.most, ++inFlight.now);
      running.set(account, (running.get(account) ?? 0) + 1);
      inFlight.ofOneKey = Math.max(inFlight.ofOneKey, running.get(account)!);
      try {
        await new Promise((resolve) => setTimeout(resolve, (seq * 7) % 5));
        if (seq === options.poison) throw new Error(`poison settlement ${seq}`);
        produce({ topic: out, key: account, value: JSON.stringify({ account, seq }) });
      } finally {
        inFlight.now--;
        running.set(account, running.get(account)! - 1);
      }
    },
  });
  return { handler, inFlight };
}

/** The seqs of each account's outputs, in the order they are in the topic (one partition per key). */
function seqsByAccount(messages: ReadMessage[]): Map<string, number[]> {
  const byAccount = new Map<string, number[]>();
  const ordered = [...messages].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  for (const m of ordered) {
    const { account, seq } = JSON.parse(m.value!.toString()) as { account: string; seq: number };
    expect(m.key).toBe(account);
    const list = byAccount.get(account) ?? [];
    list.push(seq);
    byAccount.set(account, list);
  }
  return byAccount;
}

const seqsOf = (account: number, from = 0, to = RECORDS) =>
  Array.from({ length: to - from }, (_, i) => from + i).filter((seq) => seq % ACCOUNTS === account);

describe("ordering: 'key' on the real broker", () => {
  for (const transactional of [false, true]) {
    it(`outputs read back keep each key's order${transactional ? ' (transactional)' : ''}`, async () => {
      const input = uniqueTopic('settlements.in');
      const out = uniqueTopic('settlements.out');
      await createTopics([{ topic: out, partitions: 3 }]);
      const { handler, inFlight } = settler(out, producer(transactional));
      const started = Date.now();
      expect(await handler(settlements(input), lambdaContext(60_000))).toBeUndefined();
      const ms = Date.now() - started;
      const byAccount = seqsByAccount(await readTopic(out, RECORDS));
      console.log(
        `key ordering${transactional ? ' (transactional)' : ''}: ${RECORDS} records of ${ACCOUNTS} accounts in ${ms} ms, at most ${inFlight.most} in flight, ${inFlight.ofOneKey} of one key`,
      );
      expect(inFlight.ofOneKey).toBe(1);
      expect(inFlight.most).toBe(ACCOUNTS); // every account at once (concurrency 20 > 10 keys)
      for (let a = 0; a < ACCOUNTS; a++) expect(byAccount.get(`acct-${a}`)).toEqual(seqsOf(a));
    }, 90_000);
  }

  it('report: a failure stops its key only; the retry from the reported offset re-runs the other keys above it', async () => {
    const input = uniqueTopic('settlements.in');
    const out = uniqueTopic('settlements.out');
    await createTopics([{ topic: out, partitions: 3 }]);
    const p = producer();
    const poison = 53; // acct-3
    const first = settler(out, p, { onError: 'report', poison });
    expect(await first.handler(settlements(input), lambdaContext(60_000))).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: `${input}-0`, offset: poison } }],
    });
    // The ESM resumes from the reported offset; the record is healed meanwhile.
    const retry = settler(out, p, { onError: 'report' });
    expect(await retry.handler(settlements(input, poison), lambdaContext(60_000))).toEqual({
      batchItemFailures: [],
    });
    const reruns = RECORDS - poison - seqsOf(3, poison).length; // other keys' records above 53, run twice
    const byAccount = seqsByAccount(await readTopic(out, RECORDS + reruns));
    // acct-3: below the poison record, then (the retry) from it on: each once, in order.
    expect(byAccount.get('acct-3')).toEqual(seqsOf(3));
    for (let a = 0; a < ACCOUNTS; a++) {
      if (a === 3) continue;
      // Every other key ran to its end in the first attempt, and from offset 53 on again in the retry.
      expect(byAccount.get(`acct-${a}`)).toEqual([...seqsOf(a), ...seqsOf(a, poison)]);
    }
  }, 90_000);
});
