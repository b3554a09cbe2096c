// Issue 28, "definitive failures fail in seconds": a connect that cannot succeed as configured ends the
// batch's wait at once with the documented error, instead of retrying until the budget is spent (a
// wrong port took 29.8 s of a 30 s function, a DNS typo 14.8 s of 15 s, an addon built for another
// Node 59.8 s and 16 retries). The client here replays only shapes recorded from the real client
// (recordings/client-errors.json); test/reliability/definitive-failures.int.test.ts times the real one.
import type { KafkaConfigSource } from '@kafka-lambda/core/config';
import { AddonLoadError, kafkaProducer, ProducerConnectionError } from '@kafka-lambda/core/producer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { behaviour, RecordedProducer } from './recorded-client.js';

/** As recorded: the servers the recording's log lines name. */
const RECORDED_DOWN = { 'bootstrap.servers': '127.0.0.1:19292', 'security.protocol': 'SASL_PLAINTEXT' };
const RECORDED_UNRESOLVABLE = {
  'bootstrap.servers': 'kafka.invalid:9092',
  'security.protocol': 'SASL_PLAINTEXT',
};
const message = () => ({ topic: 'out', key: null, value: Buffer.from('v') });

function producer(config: Record<string, string>, loadClient?: () => Promise<never>) {
  let loads = 0;
  const source: KafkaConfigSource = { kafkaConfig: async () => config };
  const kafka = kafkaProducer(source, {
    connectTimeoutMs: 10_000,
    loadClient: async () => {
      loads++;
      if (loadClient) return loadClient();
      return { Producer: RecordedProducer as never };
    },
  });
  return { kafka, loads: () => loads };
}

async function timedFailure(run: () => Promise<unknown>): Promise<{ ms: number; error: Error }> {
  const started = Date.now();
  const error = (await run().then(
    () => new Error('expected a failure'),
    (e: Error) => e,
  )) as Error;
  return { ms: Date.now() - started, error };
}

beforeEach(() => behaviour.reset());
afterEach(() => behaviour.reset());

describe('a connect that cannot succeed as configured fails in about a second', () => {
  it('every bootstrap server refusing the connection (a wrong port)', async () => {
    behaviour.connect = 'all-brokers-down-at-connect';
    const { kafka } = producer(RECORDED_DOWN);
    const { ms, error } = await timedFailure(() => kafka.send(message()));
    expect(ms).toBeLessThan(3_000); // the connect budget is 10 s
    expect(error).toBeInstanceOf(ProducerConnectionError);
    expect(error).toMatchObject({ definitive: true });
    expect(error.message).toMatch(/connection refused by 127\.0\.0\.1:19292/);
  });

  it('every bootstrap server name unknown to DNS (a typo)', async () => {
    behaviour.connect = 'unresolvable-host';
    const { kafka } = producer(RECORDED_UNRESOLVABLE);
    const { ms, error } = await timedFailure(() => kafka.send(message()));
    expect(ms).toBeLessThan(3_000);
    expect(error).toMatchObject({ name: 'ProducerConnectionError', definitive: true });
    expect(error.message).toMatch(/no such host name: kafka\.invalid:9092/);
  });

  it('not while another bootstrap server has not failed so: the budget is kept', async () => {
    behaviour.connect = 'all-brokers-down-at-connect';
    const { kafka } = producer({ ...RECORDED_DOWN, 'bootstrap.servers': '127.0.0.1:19292,b-2.example:9096' });
    const batch = AbortSignal.timeout(2_500);
    const { ms, error } = await timedFailure(
      () =>
        new Promise((resolve, reject) =>
          kafka.enqueue(message(), (e, report) => (e ? reject(e) : resolve(report)), batch),
        ),
    );
    expect(ms).toBeGreaterThanOrEqual(2_400); // ended by the batch's signal, not by a definitive failure
    expect(error).not.toMatchObject({ definitive: true });
  });

  it('the next attempts within the backoff fail at once, without a new client; then one is tried again', async () => {
    behaviour.connect = 'all-brokers-down-at-connect';
    const { kafka } = producer(RECORDED_DOWN);
    const first = await timedFailure(() => kafka.send(message()));
    const again = await timedFailure(() => kafka.send(message()));
    expect(again.ms).toBeLessThan(100);
    expect(again.error).toBe(first.error);
    expect(RecordedProducer.instances).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    behaviour.connect = 'healthy';
    const sent = kafka.send(message());
    await new Promise((resolve) => setTimeout(resolve, 20));
    RecordedProducer.instances[1]!.deliver();
    await expect(sent).resolves.toMatchObject({ topic: 'out' });
  });
});

describe('an addon that cannot load', () => {
  it('fails the send at once with AddonLoadError (not a connection error), loading it once per backoff', async () => {
    const failure = new AddonLoadError(
      Object.assign(
        new Error(
          'The module was compiled against a different Node.js version using NODE_MODULE_VERSION 127. This version of Node.js requires NODE_MODULE_VERSION 137.',
        ),
        { code: 'ERR_DLOPEN_FAILED' },
      ),
      { neededBy: 'the producer', install: 'install it next to @kafka-lambda/core' },
    );
    const { kafka, loads } = producer(RECORDED_DOWN, () => Promise.reject(failure));
    const first = await timedFailure(() => kafka.send(message()));
    expect(first.ms).toBeLessThan(500);
    expect(first.error).toBe(failure);
    expect(first.error).toMatchObject({ failure: 'abi-mismatch' });
    const again = await timedFailure(() => kafka.send(message()));
    expect(again.error).toBe(failure);
    expect(loads()).toBe(1);
  });
});
