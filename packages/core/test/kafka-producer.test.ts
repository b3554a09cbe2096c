// The producer's failure paths against a scripted stand-in for the native client; the real client is
// exercised by the integration tests (handler.int.test.ts, secrets.int.test.ts).
import { EventEmitter } from 'node:events';
import { ConfigError, FlushTimeoutError, kafkaProducer, ProducerConnectionError } from '@kafka-lambda/core';
import { describe, expect, it } from 'vitest';
import type { NativeError } from '../src/producer/native-client.js';

type Report = { topic: string; partition: number; offset: number; opaque?: unknown };

class FakeNativeProducer extends EventEmitter {
  static instances: FakeNativeProducer[] = [];
  static connectError: NativeError | undefined;
  static authLog: string | undefined;
  queueFullTimes = 0;
  readonly queued: Array<{ topic: string; opaque: unknown; headers: unknown }> = [];
  disconnected = false;

  constructor(readonly config: Record<string, unknown>) {
    super();
    FakeNativeProducer.instances.push(this);
  }
  connect(_options: unknown, callback: (error: NativeError | null) => void): void {
    setImmediate(() => {
      if (FakeNativeProducer.authLog)
        this.emit('event.log', { severity: 3, fac: 'FAIL', message: FakeNativeProducer.authLog });
      else callback(FakeNativeProducer.connectError ?? null);
    });
  }
  produce(
    topic: string,
    _p: number,
    _v: unknown,
    _k: unknown,
    _t: unknown,
    opaque: unknown,
    headers: unknown,
  ): void {
    if (this.queueFullTimes > 0) {
      this.queueFullTimes--;
      throw Object.assign(new Error('Local: Queue full'), { code: -184 });
    }
    this.queued.push({ topic, opaque, headers });
  }
  /** Acknowledges (or fails) everything queued, like librdkafka serving delivery reports during a flush. */
  flush(_timeout: number, callback: (error?: NativeError) => void): void {
    if (this.flushTimesOut) {
      setImmediate(() => callback({ code: -185, message: 'Local: Timed out' }));
      return;
    }
    for (const [offset, { topic, opaque }] of this.queued.splice(0).entries()) {
      const report: Report = { topic, partition: 0, offset, opaque };
      this.emit(
        'delivery-report',
        this.failDeliveries ? { code: 2, message: 'Broker: Corrupt message' } : null,
        report,
      );
    }
    setImmediate(() => callback());
  }
  flushTimesOut = false;
  failDeliveries = false;
  disconnect(_timeout: number, callback: () => void): void {
    this.disconnected = true;
    callback();
  }
  setPollInBackground(): void {}
}

function producer(
  config: Record<string, unknown> = { 'bootstrap.servers': 'fake:9092' },
  invalidations = { count: 0 },
) {
  FakeNativeProducer.instances = [];
  FakeNativeProducer.connectError = undefined;
  FakeNativeProducer.authLog = undefined;
  const source = {
    kafkaConfig: async () => config as Record<string, string>,
    invalidate: () => invalidations.count++,
  };
  return kafkaProducer(source, { loadClient: async () => ({ Producer: FakeNativeProducer as never }) });
}

/** Lets the fake client finish connecting (it answers on the next turn of the event loop). */
const connected = () => new Promise((resolve) => setTimeout(resolve, 5));

const message = (topic = 'out') => ({ topic, key: null, value: Buffer.from('v') });

describe('RdKafkaProducer', () => {
  it('applies the Lambda defaults under the user properties, and connects once for many sends', async () => {
    const kafka = producer({ 'bootstrap.servers': 'fake:9092', 'linger.ms': 50 });
    const delivered = [kafka.send(message()), kafka.send(message()), kafka.send(message())];
    await kafka.flush(1_000);
    expect(await Promise.all(delivered)).toHaveLength(3);
    const [client, ...others] = FakeNativeProducer.instances;
    expect(others).toHaveLength(0);
    expect(client!.config).toMatchObject({
      acks: 'all',
      'enable.idempotence': true,
      'linger.ms': 50,
      'socket.keepalive.enable': true,
      'connections.max.idle.ms': 300_000,
    });
    expect(kafka.stats).toMatchObject({ connects: 1, sent: 3, delivered: 3, flushes: 1 });
  });

  it('passes no header list for messages without headers, and name/value objects otherwise', async () => {
    const kafka = producer();
    kafka.send(message());
    kafka.send({ ...message(), headers: [['h', Buffer.from('x')]] });
    await connected();
    const queued = FakeNativeProducer.instances[0]!.queued;
    expect(queued[0]!.headers).toBeUndefined();
    expect(queued[1]!.headers).toEqual([{ h: Buffer.from('x') }]);
    await kafka.flush(1_000);
  });

  it('rejects a send the broker refused', async () => {
    const kafka = producer();
    const outcome = kafka.send(message()).catch((error: Error) => error);
    await connected();
    FakeNativeProducer.instances[0]!.failDeliveries = true;
    await kafka.flush(1_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ message: 'Broker: Corrupt message', code: 2 });
    expect(kafka.stats.failed).toBe(1);
  });

  it('turns a flush timeout into a FlushTimeoutError counting the unconfirmed messages', async () => {
    const kafka = producer();
    kafka.send(message()).catch(() => undefined);
    await connected();
    FakeNativeProducer.instances[0]!.flushTimesOut = true;
    const error = await kafka.flush(50).catch((e) => e);
    expect(error).toBeInstanceOf(FlushTimeoutError);
    expect(error.pending).toBe(1);
  });

  it('retries a message refused for a full queue once the queue drains', async () => {
    const kafka = producer();
    await kafka.flush(1_000); // nothing sent: no client yet
    const first = kafka.send(message());
    await connected();
    FakeNativeProducer.instances[0]!.queueFullTimes = 2;
    const second = kafka.send(message());
    await new Promise((resolve) => setTimeout(resolve, 30));
    await kafka.flush(1_000);
    await expect(Promise.all([first, second])).resolves.toHaveLength(2);
  });

  it('rebuilds the client after a fatal error, failing what was in flight on the old one', async () => {
    const kafka = producer();
    const lost = kafka.send(message());
    await connected();
    const old = FakeNativeProducer.instances[0]!;
    old.emit('event.error', { code: -150, message: 'Fatal: idempotence state lost', isFatal: true });
    const next = kafka.send(message());
    await expect(lost).rejects.toBeInstanceOf(ProducerConnectionError);
    await connected();
    expect(FakeNativeProducer.instances).toHaveLength(2);
    expect(old.disconnected).toBe(true);
    await kafka.flush(1_000);
    await expect(next).resolves.toMatchObject({ topic: 'out' });
    expect(kafka.stats.connects).toBe(2);
  });

  it('fails fast on refused SASL credentials, forgets them, and tries again on the next send', async () => {
    const invalidations = { count: 0 };
    const kafka = producer({ 'bootstrap.servers': 'fake:9092' }, invalidations);
    FakeNativeProducer.authLog =
      'sasl_ssl://b:9096/bootstrap: SASL authentication error: Authentication failed (after 120ms)';
    const error = await kafka.send(message()).catch((e) => e);
    expect(error).toBeInstanceOf(ProducerConnectionError);
    expect(error.message).toMatch(/^producer could not authenticate: SASL authentication error/);
    expect(invalidations.count).toBe(1);
    expect(FakeNativeProducer.instances[0]!.disconnected).toBe(true);
    FakeNativeProducer.authLog = undefined;
    const retried = kafka.send(message());
    await kafka.flush(1_000);
    await expect(retried).resolves.toBeDefined();
  });

  it('a connect failure fails the sends waiting for it', async () => {
    const kafka = producer();
    FakeNativeProducer.connectError = { code: -195, message: 'Local: Broker transport failure' };
    await expect(kafka.send(message())).rejects.toThrow(
      'producer could not connect: Local: Broker transport failure',
    );
  });

  it('hands an OAUTHBEARER refresh callback to the client, and survives its failure event', async () => {
    const refresh = async () => ({ tokenValue: 't', lifetime: 1, principal: 'p' });
    const kafka = producer({
      'bootstrap.servers': 'fake:9092',
      'sasl.mechanisms': 'OAUTHBEARER',
      oauthbearer_token_refresh_cb: refresh,
    });
    const delivered = kafka.send(message());
    await connected();
    const client = FakeNativeProducer.instances[0]!;
    expect(client.config.oauthbearer_token_refresh_cb).toBe(refresh);
    // The library emits 'error' when a refresh fails: with no listener, Node would throw it.
    expect(() =>
      client.emit('error', new Error('oauthbearer_token_refresh_cb: expired credentials')),
    ).not.toThrow();
    await kafka.flush(1_000);
    await expect(delivered).resolves.toBeDefined();
  });

  it('refuses a config without bootstrap.servers, naming the key', async () => {
    await expect(producer({}).send(message())).rejects.toBeInstanceOf(ConfigError);
  });
});
