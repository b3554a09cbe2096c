// The producer's failure paths against a stand-in for the native client that emits only shapes recorded
// from the real client and broker (recorded-client.ts, recordings/client-errors.json). The real client
// is exercised by test/reliability/producer-recovery.int.test.ts.
import { ConfigError } from '@kafka-lambda/core';
import { type KafkaConfigSource, SecretReadError } from '@kafka-lambda/core/config';
import { FlushTimeoutError } from '@kafka-lambda/core/errors';
import {
  kafkaProducer,
  ProducerConnectionError,
  ProducerDeliveryError,
  ProducerQueueFullError,
} from '@kafka-lambda/core/producer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RereadBackoff } from '../src/producer/reread-backoff.js';
import { onSigterm, ProducersOnSigterm } from '../src/producer/shutdown-hook.js';
import { behaviour, RecordedProducer } from './recorded-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => sleep(5);
const SERVERS = { 'bootstrap.servers': 'b-1.example:9096', 'security.protocol': 'SASL_SSL' };

function source(config: Record<string, unknown> = SERVERS) {
  const counts = { reads: 0, invalidations: 0 };
  const config$: KafkaConfigSource & { counts: typeof counts } = {
    counts,
    kafkaConfig: async () => {
      counts.reads++;
      return config as Record<string, string>;
    },
    invalidate: () => {
      counts.invalidations++;
    },
  };
  return config$;
}

function producer(config?: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const src = source(config);
  const kafka = kafkaProducer(src, {
    loadClient: async () => ({ Producer: RecordedProducer as never }),
    // Not on the test worker's own SIGTERM: its teardown would fail what a test left pending.
    closeOnSigterm: false,
    ...options,
  });
  return { kafka, src };
}

/** Enqueues with a callback that records its outcome. */
function enqueue(
  kafka: ReturnType<typeof producer>['kafka'],
  signal?: AbortSignal,
  topic = 'out',
  value = 'v',
) {
  const outcome: { error?: Error; report?: unknown; done: boolean } = { done: false };
  kafka.enqueue(
    { topic, key: null, value: Buffer.from(value) },
    (error, report) => Object.assign(outcome, { error, report, done: true }),
    signal,
  );
  return outcome;
}

const client = (index = 0) => RecordedProducer.instances[index]!;

beforeEach(() => behaviour.reset());
afterEach(() => behaviour.reset());

describe('RdKafkaProducer on the recorded client shapes', () => {
  it('applies the Lambda defaults under the user properties and connects once for many sends', async () => {
    const { kafka } = producer({ ...SERVERS, 'linger.ms': 50 });
    const delivered = [kafka.send(message()), kafka.send(message()), kafka.send(message())];
    await tick();
    client().deliver();
    expect(await Promise.all(delivered)).toHaveLength(3);
    expect(RecordedProducer.instances).toHaveLength(1);
    expect(client().config).toMatchObject({ acks: 'all', 'enable.idempotence': true, 'linger.ms': 50 });
    expect(kafka.stats).toMatchObject({ connects: 1, sent: 3, delivered: 3 });
  });

  it('keeps librdkafka error lines (log_level at least 3): refusals are told apart only there', async () => {
    const { kafka } = producer({ ...SERVERS, log_level: 0 });
    kafka.warmUp();
    await tick();
    expect(client().config.log_level).toBe(3);
    const { kafka: verbose } = producer({ ...SERVERS, log_level: 7 });
    verbose.warmUp();
    await tick();
    expect(client(1).config.log_level).toBe(7);
  });

  it('passes no header list for messages without headers, and name/value objects otherwise', async () => {
    const { kafka } = producer();
    kafka.send(message());
    kafka.send({ ...message(), headers: [['h', Buffer.from('x')]] });
    await tick();
    expect(client().queued.map((q) => q.headers)).toEqual([undefined, [{ h: Buffer.from('x') }]]);
  });

  // Finding 1: event.error arrives as text with code -1 and no isFatal (recorded after a rotation).
  it('rebuilds the client and re-reads the config when a connected client is refused its credentials', async () => {
    const { kafka, src } = producer();
    const inFlight = enqueue(kafka);
    await tick();
    client(0).replay('auth-refused-after-rotation');
    expect(inFlight.error).toBeInstanceOf(ProducerConnectionError);
    expect(inFlight.error!.message).toMatch(
      /SASL authentication error: Authentication failed during re-authentication/,
    );
    expect(src.counts.invalidations).toBe(1);
    const next = enqueue(kafka);
    await tick();
    expect(RecordedProducer.instances).toHaveLength(2);
    expect(client(0).disconnected).toBe(true);
    client(1).deliver();
    expect(next).toMatchObject({ done: true, error: undefined });
    expect(kafka.stats.connects).toBe(2);
  });

  it('keeps the client on "authentication failure" from a broker paused past re-authentication (recorded)', async () => {
    const { kafka, src } = producer();
    const held = enqueue(kafka);
    await tick();
    client(0).replay('paused-past-reauth');
    client(0).deliver();
    expect(held).toMatchObject({ done: true, error: undefined });
    expect(RecordedProducer.instances).toHaveLength(1);
    expect(src.counts.invalidations).toBe(0);
  });

  it('rebuilds the client after a fatal error (recorded: idempotent producer refused cluster authorization)', async () => {
    const { kafka } = producer();
    const lost = enqueue(kafka);
    await tick();
    client(0).replay('cluster-authorization');
    expect(lost.error).toBeInstanceOf(ProducerConnectionError);
    expect(lost.error!.message).toMatch(/Fatal error: Broker: Cluster authorization failed/);
    enqueue(kafka);
    await tick();
    expect(RecordedProducer.instances).toHaveLength(2);
  });

  it('does not rebuild on "all broker connections are down" alone, and says so once', async () => {
    const warnings: string[] = [];
    const logger = {
      warn: (m: string) => warnings.push(m),
      error: () => {},
      info: () => {},
      debug: () => {},
    };
    const { kafka } = producer(undefined, { logger });
    const held = enqueue(kafka);
    await tick();
    client(0).replay('broker-killed-after-connect', ['event.error']);
    expect(held.done).toBe(false);
    expect(RecordedProducer.instances).toHaveLength(1);
    expect(warnings.filter((w) => /all broker connections are down/.test(w))).toHaveLength(1);
  });

  it('rebuilds a client whose brokers stayed unreachable past unreachableRebuildMs', async () => {
    const { kafka, src } = producer(undefined, { unreachableRebuildMs: 20 });
    const stuck = enqueue(kafka);
    await tick();
    client(0).replay('broker-killed-after-connect', ['event.error']);
    await sleep(30);
    enqueue(kafka);
    await tick();
    expect(stuck.error).toBeInstanceOf(ProducerConnectionError);
    expect(RecordedProducer.instances).toHaveLength(2);
    expect(src.counts.invalidations).toBe(1);
  });

  it('keeps an idle client that reported its brokers down (nothing stuck on it to show it is dead)', async () => {
    const { kafka } = producer(undefined, { unreachableRebuildMs: 20 });
    kafka.warmUp();
    await tick();
    client(0).replay('broker-killed-after-connect', ['event.error']);
    await sleep(30);
    enqueue(kafka);
    await tick();
    expect(RecordedProducer.instances).toHaveLength(1);
  });

  it('fails on a refused password while connecting, from the log, long before the connect timeout', async () => {
    behaviour.connect = 'auth-refused-at-connect';
    const { kafka, src } = producer(undefined, { connectTimeoutMs: 10_000 });
    const started = Date.now();
    const error = (await kafka.send(message()).catch((e: Error) => e)) as Error;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(ProducerConnectionError);
    expect(error.message).toMatch(/bootstrap\.servers=b-1\.example:9096 \(security\.protocol=SASL_SSL\)/);
    expect(error.message).toMatch(/SASL authentication error/);
    expect(src.counts.invalidations).toBe(1);
  });

  // Finding 3: a batch's messages waiting for a connection settle when its signal aborts.
  it('settles messages waiting for a connection when their batch aborts, naming servers and protocol', async () => {
    behaviour.connect = 'all-brokers-down-at-connect';
    const { kafka } = producer(
      { ...SERVERS, 'sasl.password': 'never-in-errors-42' },
      { connectTimeoutMs: 10_000 },
    );
    const batch = new AbortController();
    const waiting = enqueue(kafka, batch.signal);
    await sleep(20);
    expect(waiting.done).toBe(false);
    expect(kafka.backlog).toBe(1);
    batch.abort(new Error('deadline'));
    expect(waiting.error).toBeInstanceOf(ProducerConnectionError);
    expect(waiting.error!.message).toContain(
      'bootstrap.servers=b-1.example:9096 (security.protocol=SASL_SSL)',
    );
    expect(waiting.error!.message).toMatch(/Connection refused/);
    expect(waiting.error!.message).not.toContain('never-in-errors-42');
    expect(kafka.backlog).toBe(0);
    expect(client().produced).toBe(0);
  });

  it('settles at once a message enqueued with an already aborted signal, and never produces it', async () => {
    const { kafka } = producer();
    await kafka.flush(100);
    const gone = new AbortController();
    gone.abort();
    const outcome = enqueue(kafka, gone.signal);
    expect(outcome.done).toBe(true);
    await tick();
    expect(RecordedProducer.instances.every((c) => c.produced === 0)).toBe(true);
  });

  it('flush waits in JavaScript (no native flush) and a timeout names the pending topics', async () => {
    const { kafka } = producer();
    enqueue(kafka, undefined, 'orders.out');
    enqueue(kafka, undefined, 'audit');
    await tick();
    const error = (await kafka.flush(50).catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(FlushTimeoutError);
    expect(error.message).toMatch(/2 message\(s\) unconfirmed \(to audit, orders\.out\)/);
    expect(client().nativeFlushes).toBe(0);
    client().deliver();
    await expect(kafka.flush(50)).resolves.toBeUndefined();
  });

  it('replaces a client whose produce() says "Producer not connected" (the library, disconnected)', async () => {
    const { kafka } = producer();
    kafka.warmUp();
    await tick();
    client(0).connected = false;
    const waiting = enqueue(kafka);
    await sleep(30);
    expect(RecordedProducer.instances).toHaveLength(2);
    client(1).deliver();
    expect(waiting).toMatchObject({ done: true, error: undefined });
  });

  it('close() flushes natively, and settles what is left even when the library says "Producer not connected"', async () => {
    const { kafka } = producer();
    const left = enqueue(kafka);
    await tick();
    client().connected = false; // the library's 'disconnected' state: flush and disconnect throw
    await expect(kafka.close(100)).resolves.toBeUndefined();
    expect(left.error).toBeInstanceOf(ProducerConnectionError);
    expect(kafka.pending).toBe(0);
  });

  // Finding 5: back-pressure.
  it('holds what librdkafka has no room for, reports it as backlog, and drains it in order', async () => {
    behaviour.queueLimit = 5;
    const { kafka } = producer();
    const batch = new AbortController();
    const outcomes = Array.from({ length: 12 }, (_, i) => enqueue(kafka, batch.signal, 'out', `m${i}`));
    await tick();
    expect(client().queued).toHaveLength(5);
    expect(kafka.backlog).toBe(7);
    const writable = kafka.whenWritable(batch.signal);
    for (let round = 0; round < 3; round++) {
      client().deliver();
      await tick();
    }
    await writable;
    client().deliver();
    expect(outcomes.every((o) => o.done && !o.error)).toBe(true);
    expect(outcomes.map((o) => (o.report as { offset: number }).offset)).toEqual([
      0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1,
    ]);
  });

  it('drops the held messages of an aborted batch and never produces them afterwards', async () => {
    behaviour.queueLimit = 2;
    const { kafka } = producer();
    const batch = new AbortController();
    const outcomes = Array.from({ length: 10 }, () => enqueue(kafka, batch.signal));
    await tick();
    const writable = kafka.whenWritable(batch.signal).catch((e: unknown) => e);
    batch.abort(new Error('deadline'));
    expect(await writable).toEqual(new Error('deadline'));
    const dropped = outcomes.filter((o) => o.error instanceof ProducerQueueFullError);
    expect(dropped).toHaveLength(8);
    client().deliver();
    await sleep(30);
    expect(client().produced).toBe(2);
    expect(kafka.backlog).toBe(0);
  });

  // Issue 23, N3: the broker refuses a whole record batch for one oversized message; a message sent
  // again alone must not share its record batch with anything, of this batch or of another.
  it('sends a message alone: after the reports of its topic, and nothing joins it until its own', async () => {
    const { kafka } = producer();
    const a = new AbortController();
    const b = new AbortController();
    const before = enqueue(kafka, a.signal, 'out', 'before');
    const otherTopic = enqueue(kafka, a.signal, 'other', 'stalled');
    await tick();
    const alone = { done: false, error: undefined as Error | undefined };
    kafka.enqueueAlone(
      { topic: 'out', key: null, value: Buffer.from('alone') },
      (error) => Object.assign(alone, { error, done: true }),
      a.signal,
    );
    const after = enqueue(kafka, b.signal, 'out', 'after');
    const afterOther = enqueue(kafka, b.signal, 'other', 'after');
    await tick();
    // Waits for 'before' (same topic), not for the message to 'other' that has no report yet.
    expect(client().queued.map((q) => q.value!.toString())).toEqual(['before', 'stalled']);
    expect(kafka.backlog).toBe(3);
    // The broker answers 'before' only: the alone message goes, alone, 'stalled' still in flight.
    const [first, stalled] = client().queued.splice(0, 2);
    client().queued.push(first!);
    client().deliver();
    await tick();
    expect(before.done).toBe(true);
    expect(client().queued.map((q) => q.value!.toString())).toEqual(['alone']);
    expect(after.done || afterOther.done).toBe(false);
    client().deliver({ scenario: 'too-large-broker' });
    await tick();
    expect(alone.error).toMatchObject({ code: 10, permanent: true });
    // Then what waited behind it, in order.
    expect(client().queued.map((q) => q.value!.toString())).toEqual(['after', 'after']);
    client().queued.push(stalled!);
    client().deliver();
    expect([otherTopic, after, afterOther].every((o) => o.done && !o.error)).toBe(true);
    expect(kafka.backlog).toBe(0);
  });

  it('a batch that gives up on its message sent alone no longer holds the other batches', async () => {
    const { kafka } = producer();
    const a = new AbortController();
    const b = new AbortController();
    enqueue(kafka, b.signal, 'out', 'warm');
    await tick();
    client().deliver();
    kafka.enqueueAlone({ topic: 'out', key: null, value: Buffer.from('alone') }, () => {}, a.signal);
    const behind = enqueue(kafka, b.signal, 'out', 'behind');
    await tick();
    expect(client().queued.map((q) => q.value!.toString())).toEqual(['alone']);
    // The broker never answers it; its batch ends (deadline): the other batch's message goes.
    a.abort(new Error('deadline'));
    await tick();
    expect(client().queued.map((q) => q.value!.toString())).toEqual(['alone', 'behind']);
    client().deliver();
    expect(behind).toMatchObject({ done: true, error: undefined });
  });

  it('refuses to hold more than maxBacklogBytes', async () => {
    behaviour.queueLimit = 0;
    const { kafka } = producer(undefined, { maxBacklogBytes: 10 });
    const batch = new AbortController();
    await tick();
    const first = enqueue(kafka, batch.signal, 'out', '12345678');
    const second = enqueue(kafka, batch.signal, 'out', '12345678');
    expect(first.done).toBe(false);
    expect(second.error).toBeInstanceOf(ProducerQueueFullError);
    batch.abort();
  });

  // Finding 6: permanent delivery errors from recorded codes.
  it.each([
    ['too-large-broker', 10, true],
    ['invalid-topic', 17, true],
    ['topic-authorization', 29, true],
    ['timed-out-broker-paused', -192, false],
    ['cluster-authorization', -152, false],
  ])('a recorded %s delivery error has code %i, permanent %s', async (scenario, code, permanent) => {
    const { kafka } = producer();
    const outcome = enqueue(kafka);
    await tick();
    client().deliver({ scenario });
    expect(outcome.error).toBeInstanceOf(ProducerDeliveryError);
    expect(outcome.error).toMatchObject({ code, permanent, topic: 'out' });
  });

  it('settles a message produce() refuses synchronously (too large) with its permanent error', async () => {
    const { kafka } = producer({ ...SERVERS, 'message.max.bytes': 100 });
    enqueue(kafka);
    await tick();
    const outcome = enqueue(kafka, undefined, 'out', 'x'.repeat(200));
    expect(outcome.error).toMatchObject({ code: 10, permanent: true });
    expect(outcome.error!.message).toMatch(/Message size too large/);
    expect(kafka.maxMessageBytes).toBe(100);
  });

  it('exposes librdkafka message.max.bytes once the config is read (default 1000000)', async () => {
    const { kafka } = producer();
    expect(kafka.maxMessageBytes).toBeUndefined();
    kafka.warmUp();
    await tick();
    expect(kafka.maxMessageBytes).toBe(1_000_000);
  });

  // Finding 7: a secret that parses but does not work.
  it('re-reads the config after the client cannot be created (unknown property), throttled', async () => {
    behaviour.connect = 'unknown-property';
    const { kafka, src } = producer();
    const errors: Error[] = [];
    for (let i = 0; i < 5; i++) errors.push((await kafka.send(message()).catch((e: Error) => e)) as Error);
    expect(errors[0]).toBeInstanceOf(ProducerConnectionError);
    expect(errors[0]!.message).toBe(
      'cannot create the producer for bootstrap.servers=b-1.example:9096 (security.protocol=SASL_SSL): ' +
        'No such configuration property: "no.such.property"',
    );
    expect(src.counts.invalidations).toBe(1); // the first failure; the next ones fall inside the 1 s backoff
    behaviour.connect = 'healthy';
  });

  it('fails fast on a mechanism typo (recorded connect error) and re-reads the config', async () => {
    behaviour.connect = 'mechanism-typo';
    const { kafka, src } = producer();
    const batch = new AbortController();
    const outcome = enqueue(kafka, batch.signal);
    await tick();
    expect(outcome.error).toBeInstanceOf(ProducerConnectionError);
    expect(outcome.error!.message).toMatch(/Unsupported hash function/);
    expect(src.counts.invalidations).toBe(1);
  });

  it('spaces its retries while a batch waits on a config source that fails fast (250 ms, 500 ms, 1 s, …)', async () => {
    const reads: number[] = [];
    const failing: KafkaConfigSource = {
      kafkaConfig: async () => {
        reads.push(Date.now());
        throw new SecretReadError('cannot read secret "kafka/prod": AccessDeniedException');
      },
    };
    const kafka = kafkaProducer(failing, {
      loadClient: async () => ({ Producer: RecordedProducer as never }),
    });
    const outcome = enqueue(kafka, AbortSignal.timeout(2_000));
    await sleep(2_100);
    expect(outcome.error).toBeInstanceOf(ProducerConnectionError);
    expect(outcome.error!.message).toMatch(/AccessDeniedException/);
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.length).toBeLessThanOrEqual(5);
  });

  it('refuses a config without bootstrap.servers, naming the key', async () => {
    const { kafka } = producer({});
    await expect(kafka.send(message())).rejects.toBeInstanceOf(ConfigError);
  });

  it('a batch whose messages a refused config settled gets the same answer for its next ones at once, without another read', async () => {
    const { kafka, src } = producer({});
    const batch = new AbortController();
    const first = enqueue(kafka, batch.signal);
    await tick();
    expect(first.error).toBeInstanceOf(ConfigError);
    const reads = src.counts.reads;
    // The next record of the same batch, enqueued as soon as the first settled (the attempt may not
    // have wound down yet): settled at once with the same error, not left waiting for the deadline.
    const second = enqueue(kafka, batch.signal);
    expect(second.error).toBe(first.error);
    expect(src.counts.reads).toBe(reads);
    // Another batch tries again (the config may have been fixed meanwhile).
    const next = enqueue(kafka, new AbortController().signal);
    await tick();
    expect(next.error).toBeInstanceOf(ConfigError);
    expect(src.counts.reads).toBe(reads + 1);
  });

  it('hands an OAUTHBEARER refresh callback to the client, and survives its failure event', async () => {
    const refresh = async () => ({ tokenValue: 't', lifetime: 1, principal: 'p' });
    const { kafka, src } = producer({ ...SERVERS, oauthbearer_token_refresh_cb: refresh });
    kafka.warmUp();
    await tick();
    expect(client().config.oauthbearer_token_refresh_cb).toBe(refresh);
    expect(() => client().emit('error', new Error('oauthbearer_token_refresh_cb: expired'))).not.toThrow();
    expect(src.counts.invalidations).toBe(1);
  });
});

describe('RereadBackoff', () => {
  it('allows a re-read at once, then after 1 s, 2 s, 4 s … up to 60 s', () => {
    let now = 0;
    const backoff = new RereadBackoff(1_000, 60_000, () => now);
    const allowedAt: number[] = [];
    for (now = 0; now <= 600_000; now += 100) if (backoff.failed()) allowedAt.push(now);
    expect(allowedAt.slice(0, 7)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 63_000]);
    expect(allowedAt.length).toBeLessThanOrEqual(16); // 10 minutes of constant failure
    backoff.succeeded();
    expect(backoff.failed()).toBe(true);
  });
});

describe('shutdown', () => {
  function target(otherListeners: number) {
    const listeners: Array<() => void> = [];
    const kills: string[] = [];
    return {
      kills,
      fire: () => {
        for (const listener of listeners.splice(0)) listener();
      },
      pid: 4242,
      once: (_: 'SIGTERM', listener: () => void) => listeners.push(listener),
      listenerCount: () => listeners.length + otherListeners,
      kill: (pid: number, signal: string) => kills.push(`${pid}:${signal}`),
    };
  }
  const quiet = { warn: () => {}, error: () => {}, info: () => {}, debug: () => {} };

  it('closes the producers still open on SIGTERM, not those their owner closed, and says nothing when none is left', async () => {
    const lines: string[] = [];
    const logger = {
      ...quiet,
      info: (message: string, fields?: object) => lines.push(`${message} ${JSON.stringify(fields)}`),
    };
    const closed: string[] = [];
    const closable = (name: string) => ({ close: async () => void closed.push(name) });
    const [a, b] = [closable('a'), closable('b')];
    const signal = target(1);
    const producers = new ProducersOnSigterm(signal);
    producers.add(a, logger);
    producers.add(b, logger);
    producers.forget(a);
    signal.fire();
    await tick();
    expect(closed).toEqual(['b']);
    expect(lines).toEqual(['flushed and closed producers on SIGTERM {"producers":1,"failed":0}']);

    const none = target(1);
    const empty = new ProducersOnSigterm(none);
    empty.add(a, logger);
    empty.forget(a);
    none.fire();
    await tick();
    expect(lines).toHaveLength(1);
  });

  it('on SIGTERM closes the producers, then re-raises the signal only when nobody else listens', async () => {
    const alone = target(0);
    let closed = 0;
    onSigterm(async () => closed++, quiet, alone);
    alone.fire();
    await tick();
    expect(closed).toBe(1);
    expect(alone.kills).toEqual(['4242:SIGTERM']);

    const shared = target(1);
    onSigterm(async () => closed++, quiet, shared);
    shared.fire();
    await tick();
    expect(closed).toBe(2);
    expect(shared.kills).toEqual([]);
  });
});

function message(topic = 'out') {
  return { topic, key: null, value: Buffer.from('v') };
}
