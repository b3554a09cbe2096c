// Records what @confluentinc/kafka-javascript (librdkafka) really emits on each failure the producer
// must classify, against a real Kafka 4.1 broker: a dedicated SCRAM + ACL broker on 127.0.0.1:19292
// (never the shared one). Output: client-errors.json next to this file, which the unit tests' fake
// client replays. Re-record after upgrading the client:
//
//   node packages/core/test/recordings/record-client-errors.mjs
//
// Each scenario lists, in order, what the client handed to JavaScript: `event.error` events,
// `delivery-report` errors, synchronous throws of `new Producer()`/`produce()`, the callbacks of
// `connect()` and `flush()`, and the warning/error log lines (`event.log`, severity <= 4).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScramBroker } from '../../../../test/support/scram-broker.mjs';
import { saveScenarios, shape } from './recording-file.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../package.json'));
const Kafka = require('@confluentinc/kafka-javascript');
const clientVersion = require('@confluentinc/kafka-javascript/package.json').version;

const USER = 'rotating';
const PASSWORD = 'rotating-secret-1';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A producer with the SDK's defaults and a recorder on every event. */
function recorder(config) {
  const events = [];
  const started = Date.now();
  const at = () => Date.now() - started;
  let client;
  try {
    client = new Kafka.Producer({
      acks: 'all',
      'enable.idempotence': true,
      'linger.ms': 5,
      'client.id': 'recorder',
      dr_cb: true,
      ...config,
    });
  } catch (error) {
    events.push({ at: at(), event: 'constructor.throw', error: shape(error) });
    return { events, client: undefined };
  }
  client.on('event.error', (error) => events.push({ at: at(), event: 'event.error', error: shape(error) }));
  client.on('event.log', (log) => {
    if (log.severity <= 4) events.push({ at: at(), event: 'event.log', log });
  });
  client.on('delivery-report', (error, report) =>
    events.push({
      at: at(),
      event: 'delivery-report',
      error: shape(error),
      report: error ? { topic: report.topic, partition: report.partition } : { topic: report.topic },
    }),
  );
  const connect = (timeout = 5_000) =>
    new Promise((resolve) => {
      client.connect({ timeout }, (error) => {
        events.push({ at: at(), event: 'connect', error: shape(error) });
        if (!error) client.setPollInBackground(true);
        resolve(!error);
      });
    });
  const produce = (topic, value = Buffer.from('v'), opaque = undefined) => {
    try {
      client.produce(topic, -1, value, null, null, opaque);
      return true;
    } catch (error) {
      events.push({ at: at(), event: 'produce.throw', error: shape(error) });
      return false;
    }
  };
  const flush = (timeout) =>
    new Promise((resolve) =>
      client.flush(timeout, (error) => {
        events.push({ at: at(), event: 'flush', error: shape(error) });
        resolve();
      }),
    );
  const close = () =>
    new Promise((resolve) => {
      try {
        client.disconnect(2_000, () => resolve());
      } catch (error) {
        events.push({ at: at(), event: 'disconnect.throw', error: shape(error) });
        resolve();
      }
    });
  return { events, client, connect, produce, flush, close };
}

const scram = {
  'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanisms': 'SCRAM-SHA-256',
  'sasl.username': USER,
  'sasl.password': PASSWORD,
};

async function main() {
  const cluster = await startScramBroker({
    name: 'recovery',
    // Connections must re-authenticate every 4 s: a removed user is refused on the next re-auth, as
    // after a rotation with `connections.max.reauth.ms` set (without it, only new connections are).
    properties: { 'connections.max.reauth.ms': 4_000 },
  });
  const servers = cluster.brokers;
  const base = { 'bootstrap.servers': servers, ...scram };
  const scenarios = {};
  const run = async (name, how, body) => {
    process.stdout.write(`recording ${name} ... `);
    const r = await body();
    scenarios[name] = { how, events: r.events };
    console.log(`${r.events.length} events`);
  };

  try {
    await cluster.addUser(USER, PASSWORD);
    const admin = recorder(cluster.adminKafkaConfig);
    // Topics, created by admin through the KafkaJS admin.
    const kadmin = new Kafka.KafkaJS.Kafka({
      ...cluster.adminKafkaConfig,
      kafkaJS: { logLevel: Kafka.KafkaJS.logLevel.NOTHING },
    }).admin();
    await kadmin.connect();
    await kadmin.createTopics({
      topics: [
        { topic: 'rec.ok', numPartitions: 1, replicationFactor: 1 },
        {
          topic: 'rec.small',
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '2000' }],
        },
        { topic: 'rec.denied', numPartitions: 1, replicationFactor: 1 },
      ],
    });
    await kadmin.disconnect();
    void admin;

    await run(
      'healthy',
      'SCRAM user connects, produces one message to an existing topic, flushes',
      async () => {
        const r = recorder(base);
        await r.connect();
        r.produce('rec.ok');
        await r.flush(5_000);
        await r.close();
        return r;
      },
    );

    await run(
      'auth-refused-at-connect',
      'SCRAM user with a wrong password; connect({ timeout: 5000 })',
      async () => {
        const r = recorder({ ...base, 'sasl.password': 'wrong-password-x' });
        await r.connect(5_000);
        await sleep(500);
        await r.close();
        return r;
      },
    );

    await run(
      'auth-refused-after-rotation',
      'connected SCRAM user; its credential is deleted (kafka-configs --delete-config SCRAM-SHA-256); broker has connections.max.reauth.ms=4000; one message produced every second for 12 s',
      async () => {
        const r = recorder(base);
        await r.connect();
        r.produce('rec.ok');
        await r.flush(5_000);
        await cluster.removeUser(USER);
        r.events.push({ at: -1, event: 'marker', note: 'user removed' });
        for (let i = 0; i < 12; i++) {
          r.produce('rec.ok');
          await sleep(1_000);
        }
        await r.flush(1_000);
        await r.close();
        await cluster.addUser(USER, PASSWORD);
        return r;
      },
    );

    await run(
      'unknown-topic',
      'produce to a topic that does not exist (auto.create.topics.enable=false), message.timeout.ms=5000',
      async () => {
        const r = recorder({ ...base, 'message.timeout.ms': 5_000 });
        await r.connect();
        r.produce('rec.missing');
        await r.flush(8_000);
        await r.close();
        return r;
      },
    );

    await run('invalid-topic', 'produce to the topic name "bad topic!" (invalid characters)', async () => {
      const r = recorder({ ...base, 'message.timeout.ms': 5_000 });
      await r.connect();
      r.produce('bad topic!');
      await r.flush(8_000);
      await r.close();
      return r;
    });

    await run(
      'too-large-local',
      'produce a 1,100,000-byte value with the default message.max.bytes (1000000)',
      async () => {
        const r = recorder(base);
        await r.connect();
        r.produce('rec.ok', Buffer.alloc(1_100_000, 1));
        await r.flush(5_000);
        await r.close();
        return r;
      },
    );

    await run(
      'too-large-broker',
      'produce a 5,000-byte value to a topic with max.message.bytes=2000 (client limit 1000000)',
      async () => {
        const r = recorder(base);
        await r.connect();
        r.produce('rec.small', Buffer.alloc(5_000, 1));
        await r.flush(5_000);
        await r.close();
        return r;
      },
    );

    await cluster.denyWrite(USER, 'rec.denied');
    await run(
      'topic-authorization',
      'DENY Write on the topic for the user (StandardAuthorizer ACL)',
      async () => {
        const r = recorder({ ...base, 'message.timeout.ms': 5_000 });
        await r.connect();
        r.produce('rec.denied');
        await r.flush(8_000);
        await r.close();
        return r;
      },
    );

    await run(
      'queue-full',
      'queue.buffering.max.messages=5, broker paused (SIGSTOP) after connect, 10 messages produced',
      async () => {
        const r = recorder({ ...base, 'queue.buffering.max.messages': 5, 'message.timeout.ms': 3_000 });
        await r.connect();
        cluster.broker.pause();
        for (let i = 0; i < 10; i++) r.produce('rec.ok');
        await r.flush(1_000);
        await sleep(3_500);
        cluster.broker.resume();
        await r.flush(3_000);
        await r.close();
        return r;
      },
    );

    await run(
      'timed-out-broker-paused',
      'message.timeout.ms=3000; broker paused (SIGSTOP) after connect; one message; flush(1000) then wait 4 s',
      async () => {
        const r = recorder({ ...base, 'message.timeout.ms': 3_000 });
        await r.connect();
        cluster.broker.pause();
        r.produce('rec.ok');
        await r.flush(1_000);
        await sleep(4_000);
        cluster.broker.resume();
        await r.close();
        return r;
      },
    );

    await run(
      'paused-past-reauth',
      'valid SCRAM user, connected; broker paused (SIGSTOP) for 7 s, longer than connections.max.reauth.ms (4000); one message produced while paused; resumed, then 4 s',
      async () => {
        const r = recorder(base);
        await r.connect();
        cluster.broker.pause();
        r.produce('rec.ok');
        await sleep(7_000);
        cluster.broker.resume();
        r.events.push({ at: -1, event: 'marker', note: 'broker resumed' });
        await sleep(4_000);
        await r.flush(3_000);
        await r.close();
        return r;
      },
    );

    await run(
      'broker-killed-after-connect',
      'message.timeout.ms=5000; broker SIGKILLed after connect; one message; wait 7 s; broker restarted',
      async () => {
        const r = recorder({ ...base, 'message.timeout.ms': 5_000 });
        await r.connect();
        await cluster.broker.kill();
        r.produce('rec.ok');
        await sleep(7_000);
        await cluster.broker.start();
        await r.close();
        return r;
      },
    );

    await cluster.denyCluster(USER);
    await sleep(3_000); // ACLs reach the authorizer through the metadata log
    await run(
      'cluster-authorization',
      'DENY IdempotentWrite on the cluster and Write on every topic: the idempotent producer cannot get a producer id',
      async () => {
        const r = recorder({ ...base, 'message.timeout.ms': 5_000 });
        await r.connect();
        r.produce('rec.ok');
        await r.flush(7_000);
        await r.close();
        return r;
      },
    );
  } finally {
    await cluster.stop();
  }

  // Nothing listens on these: all brokers down from the start.
  await run(
    'all-brokers-down-at-connect',
    'bootstrap.servers=127.0.0.1:19292 with no broker; connect({ timeout: 3000 })',
    async () => {
      const r = recorder({ ...base, 'message.timeout.ms': 3_000 });
      await r.connect(3_000);
      await r.close();
      return r;
    },
  );

  await run(
    'unresolvable-host',
    'bootstrap.servers=kafka.invalid:9092; connect({ timeout: 3000 })',
    async () => {
      const r = recorder({ ...base, 'bootstrap.servers': 'kafka.invalid:9092' });
      await r.connect(3_000);
      await r.close();
      return r;
    },
  );

  await run('unknown-property', 'new Producer({ "no.such.property": 1 })', async () =>
    recorder({ ...base, 'no.such.property': 1 }),
  );

  await run(
    'mechanism-typo',
    'new Producer({ "sasl.mechanisms": "SCRAM-SHA-265" }), then connect({ timeout: 3000 }) if it was built',
    async () => {
      const r = recorder({ ...base, 'sasl.mechanisms': 'SCRAM-SHA-265' });
      if (r.client) {
        await r.connect(3_000);
        await r.close();
      }
      return r;
    },
  );

  // The transactional scenarios (txn-, record-transaction-errors.mjs) stay as they are.
  const file = saveScenarios({
    owns: (name) => !name.startsWith('txn-'),
    scenarios,
    header: {
      producedBy: 'node packages/core/test/recordings/record-client-errors.mjs',
      client: `@confluentinc/kafka-javascript ${clientVersion}, librdkafka ${Kafka.librdkafkaVersion}`,
      broker: 'Apache Kafka 4.1.1, KRaft single node, SASL_PLAINTEXT with SCRAM-SHA-256, StandardAuthorizer',
      recordedAt: new Date().toISOString(),
    },
  });
  console.log('wrote', file);
}

await main();
process.exit(0);
