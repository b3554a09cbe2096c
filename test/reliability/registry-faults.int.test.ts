// Fault matrix, part 3: the Schema Registry fails. A loopback proxy in front of the real registry
// (Apicurio, :8081) goes down, answers 500 or 404, or is slower than the client's timeout.
import { createKafkaHandler, DEAD_LETTER_HEADERS, type ErrorPolicy } from '@kafka-lambda/core';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { kafkaProducer, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { avro, schemaRegistry, writeConfluentFrame } from '@kafka-lambda/serdes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, readTopic, uniqueTopic } from '../support/kafka.js';
import {
  type FaultProxy,
  kafkaEvent,
  lambdaContext,
  range,
  rawRecord,
  SecretAudit,
  startFaultProxy,
  tally,
  topicValues,
} from '../support/reliability.js';

const REGISTRY = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
const registryBase = new URL(REGISTRY);
const audit = new SecretAudit();
const SR_SECRET = audit.secret('sr-secret-Zq8v1LmNp4');
const tradeSchema = {
  type: 'record',
  name: 'ReliabilityTrade',
  namespace: 'kafka_lambda.reliability',
  fields: [{ name: 'id', type: 'int' }],
};
/** The Avro binary of `{ id }`: one zigzag varint. */
function avroTrade(id: number): Buffer {
  const bytes: number[] = [];
  let n = (id << 1) ^ (id >> 31);
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

let proxy: FaultProxy;
let schemaId: number;
const producers: RdKafkaProducer[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(registryBase.origin);
  const subject = `${uniqueTopic('rel.registry')}-value`;
  ({ id: schemaId } = await schemaRegistry(REGISTRY).register(subject, {
    schema: JSON.stringify(tradeSchema),
  }));
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all(producers.map((p) => p.close(1_000).catch(() => undefined)));
});

function records(partition: number, count: number, id = schemaId): KafkaEventRecord[] {
  return range(0, count).map((offset) =>
    rawRecord('avro-trades', partition, offset, writeConfluentFrame(id, avroTrade(offset))),
  );
}

/** A fresh registry client (so nothing is cached) behind the proxy, with a short timeout. */
function avroHandler(name: string, out: string, onError: ErrorPolicy, dlq?: string) {
  const registry = schemaRegistry({
    url: `${proxy.url}${registryBase.pathname}`,
    auth: `reliability-key:${SR_SECRET}`,
    timeoutMs: 500,
    retries: 1,
    backoffMs: 10,
  });
  const producer = kafkaProducer({ 'bootstrap.servers': brokers(), log_level: 0 });
  producers.push(producer);
  const logger = audit.logger(name);
  const handler = createKafkaHandler({
    value: avro<{ id: number }>(registry),
    producer,
    onError,
    ...(dlq ? { deadLetterTopic: dlq } : {}),
    logger,
    process(record, { produce }) {
      produce({ topic: out, key: record.key, value: `out-${record.value.id}` });
    },
  } as Parameters<typeof createKafkaHandler<string, { id: number }>>[0]);
  return { handler, logger };
}

async function invoke(handler: ReturnType<typeof avroHandler>['handler'], event: KafkaEventRecord[]) {
  try {
    return { result: await handler(kafkaEvent(event), lambdaContext(30_000)) };
  } catch (error) {
    audit.error('invocation', error);
    return { error: error as Error };
  }
}

const outs = (ids: number[]) => ids.map((id) => `out-${id}`).sort();

describe('registry faults (through a fault proxy)', () => {
  for (const fault of ['down', '500', 'slow'] as const) {
    it(`registry ${fault}: each record is dead-lettered or the invocation fails; once the registry is back every record is delivered`, async () => {
      const out = uniqueTopic(`rel.sr-${fault}`);
      const dlq = `${out}.dlq`;
      await createTopics([{ topic: out }, { topic: dlq }]);
      const { handler } = avroHandler(`registry ${fault}`, out, 'dead-letter', dlq);
      if (fault === 'down') await proxy.down();
      if (fault === '500')
        proxy.rule = () => ({ kind: 'status', status: 500, body: { error_code: 50001, message: 'boom' } });
      if (fault === 'slow') proxy.rule = () => ({ kind: 'delay', ms: 2_000 });
      // Each record waits for the client's timeout when the registry is slow: keep that batch short.
      const count = fault === 'slow' ? 3 : 10;
      const batch = records(fault === 'down' ? 0 : fault === '500' ? 1 : 2, count);
      const first = await invoke(handler, batch);
      await proxy.up();
      proxy.rule = () => ({ kind: 'pass' });

      const letters = await readTopic(dlq, first.error ? 0 : count, {
        timeoutMs: first.error ? 500 : 20_000,
        settleMs: first.error ? 2_500 : 300,
      });
      if (!first.error) {
        // Dead-lettered: each record is on the DLQ with its bytes, and the registry error named.
        expect(
          letters.map((m) => Number(m.headers[DEAD_LETTER_HEADERS.sourceOffset])).sort((a, b) => a - b),
        ).toEqual(range(0, count));
        expect(letters[0]!.headers[DEAD_LETTER_HEADERS.errorMessage]).toMatch(
          /RegistryUnavailable|schemas\/ids/,
        );
      }
      // The ESM's retry (or a DLQ replay) once the registry answers again: everything decodes.
      expect((await invoke(handler, batch)).error).toBeUndefined();
      expect(tally(await topicValues(out, count)).distinct).toEqual(outs(range(0, count)));
    });
  }

  it("a registry outage under onError 'log' fails the invocation instead of dropping the batch", async () => {
    const out = uniqueTopic('rel.sr-log');
    await createTopics([{ topic: out }]);
    const { handler } = avroHandler('registry 500 log', out, 'log');
    proxy.rule = () => ({ kind: 'status', status: 503, body: { error_code: 50301, message: 'unavailable' } });
    const batch = records(3, 5);
    const first = await invoke(handler, batch);
    proxy.rule = () => ({ kind: 'pass' });
    const delivered = tally(await topicValues(out, 5, { timeoutMs: 2_000 })).distinct;
    // Invariant: not processed, not dead-lettered, not reported ⇒ the invocation must fail so the ESM retries.
    if (delivered.length < 5) expect(first.error).toBeDefined();
    expect((await invoke(handler, batch)).error).toBeUndefined();
    expect(tally(await topicValues(out, 5)).distinct).toEqual(outs(range(0, 5)));
  });

  it('a 404 (40403) for one schema id dead-letters only the records of that id; the others are delivered', async () => {
    const out = uniqueTopic('rel.sr-404');
    const dlq = `${out}.dlq`;
    await createTopics([{ topic: out }, { topic: dlq }]);
    const { handler } = avroHandler('registry 404', out, 'dead-letter', dlq);
    const missing = 987_654;
    proxy.rule = ({ path }) =>
      path.endsWith(`/schemas/ids/${missing}`)
        ? { kind: 'status', status: 404, body: { error_code: 40403, message: 'Schema not found' } }
        : { kind: 'pass' };
    const batch = records(4, 6);
    batch[2] = records(4, 3, missing)[2]!;
    batch[4] = records(4, 5, missing)[4]!;
    const first = await invoke(handler, batch);
    proxy.rule = () => ({ kind: 'pass' });
    expect(first.error).toBeUndefined();
    const letters = await readTopic(dlq, 2, { settleMs: 300 });
    expect(letters.map((m) => m.headers[DEAD_LETTER_HEADERS.sourceOffset])).toEqual(['2', '4']);
    expect(letters[0]!.headers[DEAD_LETTER_HEADERS.errorMessage]).toMatch(/40403|not found/i);
    expect(tally(await topicValues(out, 4)).distinct).toEqual(outs([0, 1, 3, 5]));
  });

  it('the registry credentials appear in no log line or error message', () => {
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(audit.leaks()).toEqual([]);
  });
});
