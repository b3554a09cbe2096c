// The producer heals itself, on the real client and a real broker: credentials rotated under a warm
// producer, a secret that parses but does not work, a fatal client error, every wait bounded by the
// batch's signal, back-pressure with bounded memory, permanent delivery errors. Faults hit a DEDICATED
// SCRAM + ACL broker (127.0.0.1:19292, controller 19293, test/support/scram-broker.mjs), never the
// shared one. Secrets live in the stack's Secrets Manager emulator (moto).
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import { SecretReadError, type SecretsManagerLike, secretsConfig } from '@kafka-lambda/core/config';
import {
  type DeliveryReport,
  kafkaProducer,
  type OutgoingMessage,
  ProducerConnectionError,
  ProducerDeliveryError,
  ProducerQueueFullError,
  type RdKafkaProducer,
} from '@kafka-lambda/core/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackHole } from '../support/reliability.js';
import { ADMIN, type ScramBroker, startScramBroker } from '../support/scram-broker.mjs';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const REAUTH_MS = 3_000;
let cluster: ScramBroker;
const producers: RdKafkaProducer[] = [];
const holes: Array<{ close(): Promise<void> }> = [];
const admin = new SecretsManagerClient({});

beforeAll(async () => {
  cluster = await startScramBroker({
    name: 'recovery',
    port: 19292,
    controllerPort: 19293,
    // Connections re-authenticate every 3 s: a removed user is refused on the next re-auth, as after a
    // rotation on a cluster with connections.max.reauth.ms set (without it, only new connections are).
    properties: { 'connections.max.reauth.ms': REAUTH_MS },
  });
  await createTopics([
    { topic: 'recovery.out' },
    { topic: 'recovery.small', config: { 'max.message.bytes': '2000' } },
    { topic: 'recovery.denied' },
    { topic: 'recovery.pressure' },
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all(producers.map((p) => p.close(1_000).catch(() => undefined)));
  await Promise.all(holes.map((hole) => hole.close()));
  await cluster?.stop();
}, 60_000);

async function createTopics(topics: Array<{ topic: string; config?: Record<string, string> }>) {
  const client = new KafkaJS.Kafka({
    kafkaJS: {
      brokers: [cluster.brokers],
      sasl: { mechanism: 'plain', username: ADMIN.username, password: ADMIN.password },
      logLevel: KafkaJS.logLevel.NOTHING,
    },
  });
  const kafkaAdmin = client.admin();
  await kafkaAdmin.connect();
  try {
    await kafkaAdmin.createTopics({
      topics: topics.map(({ topic, config }) => ({
        topic,
        numPartitions: 1,
        replicationFactor: 1,
        configEntries: Object.entries(config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await kafkaAdmin.disconnect();
  }
}

/** A user and its SCRAM credential on the broker; a secret in Secrets Manager holding it. */
async function userSecret(extra: Record<string, unknown> = {}) {
  const user = `u-${randomUUID().slice(0, 8)}`;
  const password = `pw-${randomUUID()}`;
  await cluster.addUser(user, password);
  const secretId = `kafka-lambda/recovery/${randomUUID()}`;
  const value = (u: string, p: string, more = extra) =>
    JSON.stringify({
      'bootstrap.servers': cluster.brokers,
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanisms': 'SCRAM-SHA-256',
      username: u,
      password: p,
      log_level: 0,
      ...more,
    });
  await admin.send(new CreateSecretCommand({ Name: secretId, SecretString: value(user, password) }));
  return {
    user,
    password,
    secretId,
    put: (u: string, p: string, more?: Record<string, unknown>) =>
      admin.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value(u, p, more) })),
  };
}

/** A Secrets Manager client that counts GetSecretValue calls (the emulator is shared with other runs). */
function countingClient(config: SecretsManagerClientConfig = {}) {
  const real = new SecretsManagerClient(config);
  const counting = {
    reads: 0,
    send(command: unknown, options?: { abortSignal?: AbortSignal }) {
      counting.reads++;
      return real.send(command as never, options) as ReturnType<SecretsManagerLike['send']>;
    },
  };
  return counting;
}

/** One "batch": enqueue with its own deadline signal; resolves with each message's outcome. */
function batch(producer: RdKafkaProducer, messages: OutgoingMessage[], budgetMs: number) {
  const signal = AbortSignal.timeout(budgetMs);
  const started = Date.now();
  return Promise.all(
    messages.map(
      (message) =>
        new Promise<{ error?: Error; report?: DeliveryReport; ms: number }>((resolve) =>
          producer.enqueue(
            message,
            (error, report) => resolve({ error, report, ms: Date.now() - started }),
            signal,
          ),
        ),
    ),
  );
}

const message = (topic = 'recovery.out', value: string | Buffer = 'v'): OutgoingMessage => ({
  topic,
  key: null,
  value: Buffer.isBuffer(value) ? value : Buffer.from(value),
});

describe('producer recovery on the real client', () => {
  it('after a credential rotation, rebuilds the warm client with the re-read secret (finding 1)', async () => {
    const secret = await userSecret();
    const client = countingClient();
    const producer = kafkaProducer(secretsConfig({ secretId: secret.secretId, client }), {
      connectTimeoutMs: 5_000,
    });
    producers.push(producer);
    const [first] = await batch(producer, [message()], 10_000);
    expect(first!.error).toBeUndefined();
    expect(client.reads).toBe(1);

    // Rotate: a new user in the secret, the old one removed from the broker.
    const next = `${secret.user}-2`;
    await cluster.addUser(next, `${secret.password}-2`);
    await secret.put(next, `${secret.password}-2`);
    await cluster.removeUser(secret.user);
    await sleep(REAUTH_MS + 1_500); // the old connection is refused at its next re-authentication

    // The first batch after the rotation may fail (its message was on the refused client); by the
    // second the producer runs on the new credentials.
    const outcomes: Array<string | undefined> = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const [outcome] = await batch(producer, [message()], 6_000);
      outcomes.push(outcome!.error?.message);
      if (!outcome!.error) break;
    }
    expect(outcomes.at(-1)).toBeUndefined();
    expect(outcomes.length).toBeLessThanOrEqual(2);
    expect(producer.stats.connects).toBeGreaterThanOrEqual(2);
    expect(client.reads).toBe(2);
    console.log('rotation: outcomes', outcomes, 'connects', producer.stats.connects, 'reads', client.reads);
  }, 60_000);

  it.each([3_000, 6_000])(
    'bounds the wait for a connection by the batch: no broker answers, %i ms budget (finding 3)',
    async (budgetMs) => {
      // A listener that never answers (a broker frozen mid-handshake): connecting may still succeed,
      // so the wait lasts the batch's budget. (Every server REFUSING is definitive: it fails in about
      // a second, see definitive-failures.int.test.ts.)
      const hole = await blackHole();
      holes.push(hole);
      const producer = kafkaProducer(
        {
          'bootstrap.servers': hole.address,
          'security.protocol': 'SASL_PLAINTEXT',
          'sasl.mechanisms': 'SCRAM-SHA-256',
          'sasl.username': 'nobody',
          'sasl.password': 'never-in-any-error-77',
          log_level: 0,
        },
        { connectTimeoutMs: 10_000 },
      );
      producers.push(producer);
      const [outcome] = await batch(producer, [message()], budgetMs);
      console.log('all brokers down: settled after', outcome!.ms, `ms for a ${budgetMs} ms budget`);
      expect(outcome!.ms).toBeGreaterThanOrEqual(budgetMs - 50); // it waited for a connection, not less
      expect(outcome!.ms).toBeLessThan(budgetMs + 1_000);
      expect(outcome!.error).toBeInstanceOf(ProducerConnectionError);
      expect(outcome!.error!.message).toContain(
        `bootstrap.servers=${hole.address} (security.protocol=SASL_PLAINTEXT)`,
      );
      expect(outcome!.error!.message).not.toContain('never-in-any-error-77');
      expect(producer.backlog).toBe(0);
    },
    30_000,
  );

  it('fails fast on a refused password while connecting, even with log_level 0 (finding 1)', async () => {
    const secret = await userSecret();
    const producer = kafkaProducer(
      {
        'bootstrap.servers': cluster.brokers,
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanisms': 'SCRAM-SHA-256',
        'sasl.username': secret.user,
        'sasl.password': 'not-the-password-31',
        log_level: 0,
      },
      { connectTimeoutMs: 10_000 },
    );
    producers.push(producer);
    const [outcome] = await batch(producer, [message()], 6_000);
    console.log('refused password: settled after', outcome!.ms, 'ms (connect timeout 10000, budget 6000)');
    expect(outcome!.ms).toBeLessThan(3_000);
    expect(outcome!.error).toBeInstanceOf(ProducerConnectionError);
    expect(outcome!.error!.message).toMatch(/SASL authentication error: Authentication failed/);
    expect(outcome!.error!.message).not.toContain('not-the-password-31');
  }, 30_000);

  it('bounds a Secrets Manager read that never answers, and the next read is a new one (finding 3)', async () => {
    const accepted: net.Socket[] = [];
    const silent = net.createServer((socket) => accepted.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const client = new SecretsManagerClient({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
      const config = secretsConfig({ secretId: 'kafka-lambda/recovery/hangs', client, readTimeoutMs: 1_000 });
      const started = Date.now();
      const error = await config.kafkaConfig().catch((e: unknown) => e);
      const ms = Date.now() - started;
      console.log('hung secret read failed after', ms, 'ms for a 1000 ms read timeout');
      expect(error).toBeInstanceOf(SecretReadError);
      expect(ms).toBeLessThan(1_000 + 1_500);
      await config.kafkaConfig().catch(() => undefined);
      expect(accepted.length).toBe(2); // not the first, cached pending read

      // Through the producer: the batch's budget bounds the wait even with a longer read timeout.
      const slow = secretsConfig({ secretId: 'kafka-lambda/recovery/hangs', client, readTimeoutMs: 20_000 });
      const producer = kafkaProducer(slow);
      producers.push(producer);
      const [outcome] = await batch(producer, [message()], 3_000);
      console.log('hung secret read under a 3000 ms batch budget: settled after', outcome!.ms, 'ms');
      expect(outcome!.ms).toBeLessThan(3_000 + 1_000);
      expect(outcome!.error).toBeInstanceOf(ProducerConnectionError);
      expect(outcome!.error!.message).toMatch(/secret "kafka-lambda\/recovery\/hangs" has not answered yet/);
    } finally {
      for (const socket of accepted) socket.destroy();
      silent.close();
    }
  }, 30_000);

  it('re-reads a secret that parses but does not work, with a backoff, and recovers once fixed (finding 7)', async () => {
    const secret = await userSecret({ 'bootstrap.servers': '127.0.0.1:1' }); // wrong port: nothing listens on 1
    const client = countingClient();
    const producer = kafkaProducer(secretsConfig({ secretId: secret.secretId, client }), {
      connectTimeoutMs: 1_500,
    });
    producers.push(producer);
    const failures: string[] = [];
    const started = Date.now();
    // An ESM retrying a failed batch at once, for ~10 s.
    while (Date.now() - started < 10_000) {
      const [outcome] = await batch(producer, [message()], 1_000);
      if (outcome!.error) failures.push(outcome!.error.name);
    }
    const readsWhileBroken = client.reads;
    console.log(
      'broken secret:',
      failures.length,
      'failed batches in 10 s,',
      readsWhileBroken,
      'secret reads',
    );
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(readsWhileBroken).toBeGreaterThanOrEqual(2); // re-read at all (today: once per container)
    expect(readsWhileBroken).toBeLessThanOrEqual(6); // 0, 1, 3, 7 s (+ in-flight attempts)

    await secret.put(secret.user, secret.password, {}); // fixed: the right bootstrap.servers
    let delivered = false;
    const fixedAt = Date.now();
    while (!delivered && Date.now() - fixedAt < 30_000) {
      const [outcome] = await batch(producer, [message()], 3_000);
      delivered = !outcome!.error;
    }
    console.log('fixed secret picked up after', Date.now() - fixedAt, 'ms; reads', client.reads);
    expect(delivered).toBe(true);
  }, 90_000);

  it('a fatal client error (cluster authorization refused) replaces the client once fixed', async () => {
    const secret = await userSecret();
    const producer = kafkaProducer(
      {
        'bootstrap.servers': cluster.brokers,
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanisms': 'SCRAM-SHA-256',
        'sasl.username': secret.user,
        'sasl.password': secret.password,
        log_level: 0,
      },
      { connectTimeoutMs: 5_000 },
    );
    producers.push(producer);
    await cluster.denyCluster(secret.user);
    await sleep(2_000);
    const [refused] = await batch(producer, [message()], 8_000);
    expect(refused!.error).toBeDefined();
    console.log('fatal:', refused!.error!.name, refused!.error!.message);
    await cluster.removeAcls(secret.user);
    await sleep(2_000);
    let delivered = false;
    for (let attempt = 0; attempt < 3 && !delivered; attempt++) {
      const [outcome] = await batch(producer, [message()], 8_000);
      delivered = !outcome!.error;
    }
    expect(delivered).toBe(true);
    expect(producer.stats.connects).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('marks the recorded permanent delivery errors permanent, and a timed-out one not (finding 6)', async () => {
    const secret = await userSecret();
    await cluster.denyWrite(secret.user, 'recovery.denied');
    const producer = kafkaProducer(
      {
        'bootstrap.servers': cluster.brokers,
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanisms': 'SCRAM-SHA-256',
        'sasl.username': secret.user,
        'sasl.password': secret.password,
        'message.timeout.ms': 3_000,
        log_level: 0,
      },
      { connectTimeoutMs: 5_000 },
    );
    producers.push(producer);
    await sleep(1_000);
    const outcomes = await batch(
      producer,
      [
        message('recovery.out', Buffer.alloc(1_100_000, 1)), // over the client's message.max.bytes
        message('recovery.small', Buffer.alloc(5_000, 1)), // over the topic's max.message.bytes
        message('recovery.denied'),
        message('bad topic!'),
        message('recovery.missing'), // unknown topic: librdkafka times it out; it may be created
        message('recovery.out'),
      ],
      10_000,
    );
    const seen = outcomes.map(
      (o) =>
        o.error && {
          code: (o.error as ProducerDeliveryError).code,
          permanent: (o.error as ProducerDeliveryError).permanent,
        },
    );
    console.log('delivery errors', seen);
    expect(outcomes.slice(0, 5).every((o) => o.error instanceof ProducerDeliveryError)).toBe(true);
    expect(seen).toEqual([
      { code: 10, permanent: true },
      { code: 10, permanent: true },
      { code: 29, permanent: true },
      { code: 17, permanent: true },
      { code: -192, permanent: false },
      undefined,
    ]);
    expect(producer.maxMessageBytes).toBe(1_000_000);
  }, 30_000);

  it('back-pressure: bounded memory while the broker is paused, nothing held is produced after abort (finding 5)', async () => {
    const producer = kafkaProducer(
      {
        ...cluster.adminKafkaConfig,
        'queue.buffering.max.messages': 2_000,
        'queue.buffering.max.kbytes': 16_384,
        'message.timeout.ms': 20_000,
        log_level: 0,
      },
      { connectTimeoutMs: 5_000, maxBacklogBytes: 32 * 1024 * 1024 },
    );
    producers.push(producer);
    const [warm] = await batch(producer, [message('recovery.pressure', 'warm')], 10_000);
    expect(warm!.error).toBeUndefined();
    // A buffer of its own per message, as serialized outputs are: memory held is memory measured.
    const value = () => Buffer.alloc(5_000, 7);
    const rssBefore = process.memoryUsage().rss;
    cluster.broker.pause();
    let rssPeak = rssBefore;
    const results = { delivered: 0, failed: 0, queueFull: 0 };
    const failures = new Set<string>();
    const signal = AbortSignal.timeout(5_000);
    let attempted = 0;
    let refused = 0;
    try {
      // A batch that would produce 200 MB, awaiting room between records as the batch does.
      for (let record = 0; record < 40_000 && !signal.aborted; record++) {
        if (producer.backlog > 0) await producer.whenWritable(signal).catch(() => undefined);
        if (signal.aborted) break;
        attempted++;
        producer.enqueue(
          { topic: 'recovery.pressure', key: null, value: value() },
          (error) => {
            if (!error) results.delivered++;
            else if (error instanceof ProducerQueueFullError) results.queueFull++;
            else {
              results.failed++;
              failures.add(`${error.name}: ${error.message}`);
            }
          },
          signal,
        );
        if (record % 500 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
      await sleep(100);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      expect(producer.backlog).toBe(0);
      // A caller that ignores whenWritable (200 MB attempted): the producer's own bound refuses the excess.
      const ignoring = AbortSignal.timeout(2_000);
      for (let i = 0; i < 40_000; i++) {
        producer.enqueue(
          { topic: 'recovery.pressure', key: null, value: value() },
          (e) => {
            if (e instanceof ProducerQueueFullError) refused++;
          },
          ignoring,
        );
        if (i % 1_000 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      await sleep(2_200);
      expect(refused).toBeGreaterThan(0);
    } finally {
      cluster.broker.resume();
    }
    const sentToClient = producer.stats.sent;
    await sleep(8_000); // the broker catches up with what librdkafka held
    const rssGrowthMb = Math.round((rssPeak - rssBefore) / 1024 / 1024);
    console.log('back-pressure:', {
      attempted,
      sentToClient,
      ...results,
      rssGrowthMb,
      stats: producer.stats,
      refusedWhileIgnoringWhenWritable: refused,
      failures: [...failures],
    });
    expect(rssGrowthMb).toBeLessThan(200);
    // The pause outlasted connections.max.reauth.ms: librdkafka says "authentication failure" (recorded),
    // but this is no refusal: the client is kept, and what it held is delivered once the broker is back.
    expect(results.failed).toBe(0);
    expect(producer.stats.connects).toBe(1);
    // Only what librdkafka had accepted (its queue: 2,000 messages) was produced after the batches ended.
    expect(producer.stats.sent).toBe(sentToClient);
    expect(sentToClient).toBeLessThanOrEqual(1 + 2 * 2_000 + 100);
  }, 60_000);
});
