// Issue 28, "definitive failures fail in seconds", on the real client: a batch whose producer has
// nothing to connect to as configured fails well under its budget, with ProducerConnectionError
// (definitive: true), and the next invocation fails at once while the backoff lasts. Before: a wrong
// port took 29.8 s of a 30 s function, a DNS typo 14.8 s of 15 s. No broker is needed (nothing listens).
import { createServer } from 'node:net';
import { createKafkaHandler, json } from '@kafka-lambda/core';
import { kafkaProducer, ProducerConnectionError, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, describe, expect, it } from 'vitest';
import { captureLogger, kafkaEvent, lambdaContext, tradeRecords } from '../support/reliability.js';

const producers: RdKafkaProducer[] = [];
afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(1_000).catch(() => undefined)));
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function handlerFor(bootstrap: string) {
  const producer = kafkaProducer({ 'bootstrap.servers': bootstrap }, { logger: captureLogger() });
  producers.push(producer);
  return createKafkaHandler({
    value: json<{ id: number }>(),
    producer,
    onError: 'retry-batch',
    logger: captureLogger(),
    process(record, { produce }) {
      produce({ topic: 'out', key: record.key, value: `out-${record.value.id}` });
    },
  });
}

async function timed(run: () => Promise<unknown>): Promise<{ ms: number; error?: Error }> {
  const started = Date.now();
  try {
    await run();
    return { ms: Date.now() - started };
  } catch (error) {
    return { ms: Date.now() - started, error: error as Error };
  }
}

describe('definitive connect failures fail in seconds (real client)', () => {
  for (const [what, bootstrap, reason] of [
    [
      'a wrong port (every bootstrap server refuses)',
      async () => `127.0.0.1:${await closedPort()}`,
      /connection refused by 127\.0\.0\.1:\d+/,
    ],
    [
      'a host name that does not exist',
      async () => 'kafka-lambda-typo.invalid:9092',
      /no such host name: kafka-lambda-typo\.invalid:9092/,
    ],
  ] as const) {
    it(`${what}: a 30 s invocation fails within a few seconds, the next one at once`, async () => {
      const handler = handlerFor(await bootstrap());
      const event = kafkaEvent(tradeRecords('trades', 0, 5));
      const first = await timed(() => handler(event, lambdaContext(30_000)));
      console.log(`${what}: failed after ${first.ms} ms of a 30,000 ms budget`);
      expect(first.error).toBeInstanceOf(ProducerConnectionError);
      expect(first.error).toMatchObject({ definitive: true });
      expect(first.error!.message).toMatch(reason);
      expect(first.ms).toBeLessThan(10_000); // well under the budget (about 1 s here)
      const second = await timed(() => handler(event, lambdaContext(30_000)));
      console.log(`${what}: the next invocation failed after ${second.ms} ms`);
      expect(second.error).toBeInstanceOf(ProducerConnectionError);
      expect(second.ms).toBeLessThan(first.ms);
    });
  }
});
