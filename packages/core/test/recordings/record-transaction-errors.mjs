// Records what @confluentinc/kafka-javascript (librdkafka) really hands to JavaScript for the
// transactional API (initTransactions / beginTransaction / commitTransaction / abortTransaction),
// against a DEDICATED Kafka 4.1 broker on 127.0.0.1:19692 (never the shared one). The scenarios are
// merged into client-errors.json next to this file (names starting with `txn-`), which the unit
// tests' fakes replay. Re-record after upgrading the client:
//
//   node packages/core/test/recordings/record-transaction-errors.mjs
//
// Each callback error is kept with its own fields (code, isFatal, isRetriable, isTxnRequiresAbort).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startIsolatedKafka } from '../../../../scripts/stack/index.mjs';
import { saveScenarios, shape } from './recording-file.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../package.json'));
const Kafka = require('@confluentinc/kafka-javascript');
const clientVersion = require('@confluentinc/kafka-javascript/package.json').version;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A transactional producer with the SDK's defaults and a recorder on every event and callback. */
function recorder(brokers, transactionalId, extra = {}) {
  const events = [];
  const started = Date.now();
  const at = () => Date.now() - started;
  const client = new Kafka.Producer({
    'bootstrap.servers': brokers,
    acks: 'all',
    'enable.idempotence': true,
    'linger.ms': 5,
    'client.id': 'txn-recorder',
    'transactional.id': transactionalId,
    dr_cb: true,
    ...extra,
  });
  client.on('event.error', (error) => events.push({ at: at(), event: 'event.error', error: shape(error) }));
  client.on('event.log', (log) => {
    if (log.severity <= 4) events.push({ at: at(), event: 'event.log', log });
  });
  client.on('delivery-report', (error, report) =>
    events.push({
      at: at(),
      event: 'delivery-report',
      error: shape(error),
      report: { topic: report.topic },
    }),
  );
  const call = (name, ...args) =>
    new Promise((resolve) => {
      try {
        client[name](...args, (error) => {
          events.push({ at: at(), event: name, error: shape(error) });
          resolve(error ?? null);
        });
      } catch (error) {
        events.push({ at: at(), event: `${name}.throw`, error: shape(error) });
        resolve(error);
      }
    });
  return {
    events,
    client,
    connect: async () => {
      const error = await call('connect', { timeout: 10_000 });
      if (!error) client.setPollInBackground(true);
      return error;
    },
    init: (timeout = 10_000) => call('initTransactions', timeout),
    begin: () => call('beginTransaction'),
    commit: (timeout = 5_000) => call('commitTransaction', timeout),
    abort: (timeout = 5_000) => call('abortTransaction', timeout),
    flush: (timeout = 5_000) => call('flush', timeout),
    produce(topic, value = Buffer.from('v')) {
      try {
        client.produce(topic, -1, value, null, null);
        return true;
      } catch (error) {
        events.push({ at: at(), event: 'produce.throw', error: shape(error) });
        return false;
      }
    },
    close: () =>
      new Promise((resolve) => {
        try {
          client.disconnect(2_000, () => resolve());
        } catch (error) {
          events.push({ at: at(), event: 'disconnect.throw', error: shape(error) });
          resolve();
        }
      }),
  };
}

async function main() {
  const broker = await startIsolatedKafka({
    name: 'txn-recording',
    port: 19692,
    controllerPort: 19693,
    // The coordinator looks for timed-out transactions every second (default 10 s).
    properties: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1_000 },
  });
  const brokers = broker.brokers;
  const scenarios = {};
  const run = async (name, how, body) => {
    process.stdout.write(`recording ${name} ... `);
    const events = await body();
    scenarios[name] = { how, events };
    console.log(`${events.length} events`);
  };
  try {
    const admin = new Kafka.KafkaJS.Kafka({
      'bootstrap.servers': brokers,
      kafkaJS: { logLevel: Kafka.KafkaJS.logLevel.NOTHING },
    }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'txn.ok', numPartitions: 1, replicationFactor: 1 },
        {
          topic: 'txn.small',
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'max.message.bytes', value: '2000' }],
        },
      ],
    });
    await admin.disconnect();

    await run(
      'txn-healthy',
      'connect, initTransactions, begin, produce one message, commit; then an empty transaction (begin, commit)',
      async () => {
        const r = recorder(brokers, 'rec-healthy');
        await r.connect();
        await r.init();
        await r.begin();
        r.produce('txn.ok');
        await r.commit();
        await r.begin();
        await r.commit();
        await r.close();
        return r.events;
      },
    );

    await run(
      'txn-produce-outside',
      'a transactional producer produces before beginTransaction',
      async () => {
        const r = recorder(brokers, 'rec-outside');
        await r.connect();
        await r.init();
        r.produce('txn.ok');
        await r.flush(3_000);
        await r.close();
        return r.events;
      },
    );

    await run(
      'txn-abortable',
      'in a transaction, a message the broker refuses (value over the topic max.message.bytes 2000): its report, then commit (fails, requires abort), abort, and a fresh transaction that commits',
      async () => {
        const r = recorder(brokers, 'rec-abortable');
        await r.connect();
        await r.init();
        await r.begin();
        r.produce('txn.ok');
        r.produce('txn.small', Buffer.alloc(5_000, 1));
        await r.flush(5_000);
        await r.commit();
        await r.abort();
        await r.begin();
        r.produce('txn.ok');
        await r.commit();
        await r.close();
        return r.events;
      },
    );

    await run(
      'txn-fenced',
      'producer A begins and produces; producer B with the same transactional.id initializes (fences A); A commits, then aborts, then begins again',
      async () => {
        const a = recorder(brokers, 'rec-fenced');
        const b = recorder(brokers, 'rec-fenced');
        await a.connect();
        await a.init();
        await a.begin();
        a.produce('txn.ok');
        await a.flush(5_000);
        await b.connect();
        await b.init();
        a.produce('txn.ok');
        await sleep(500);
        await a.commit();
        await a.abort();
        await a.begin();
        await b.close();
        await a.close();
        return a.events;
      },
    );

    await run(
      'txn-coordinator-timeout',
      'transaction.timeout.ms 1000: begin, produce (delivered), wait 4 s (the coordinator, checking every second, aborts the transaction), then commit, abort',
      async () => {
        const r = recorder(brokers, 'rec-timeout', { 'transaction.timeout.ms': 1_000 });
        await r.connect();
        await r.init();
        await r.begin();
        r.produce('txn.ok');
        await r.flush(5_000);
        await sleep(4_000);
        await r.commit();
        await r.abort();
        await r.close();
        return r.events;
      },
    );

    await run(
      'txn-commit-timeout',
      'begin, produce (delivered), the broker is SIGSTOPped, commit with a 2000 ms timeout; the broker resumes; commit again (resumes the commit)',
      async () => {
        const r = recorder(brokers, 'rec-commit-timeout');
        await r.connect();
        await r.init();
        await r.begin();
        r.produce('txn.ok');
        await r.flush(5_000);
        broker.pause();
        await r.commit(2_000);
        await r.abort(1_000);
        broker.resume();
        await sleep(1_000);
        await r.commit(10_000);
        await r.close();
        return r.events;
      },
    );

    await run(
      'txn-init-broker-down',
      'connected, then the broker is SIGSTOPped: initTransactions with a 2000 ms timeout',
      async () => {
        const r = recorder(brokers, 'rec-init-down');
        await r.connect();
        broker.pause();
        await r.init(2_000);
        broker.resume();
        await r.init(10_000);
        await r.close();
        return r.events;
      },
    );
  } finally {
    broker.resume();
    await broker.stop({ graceMs: 5_000 });
  }

  const file = saveScenarios({
    owns: (name) => name.startsWith('txn-'),
    scenarios,
    headerKey: 'transactions',
    header: {
      producedBy: 'node packages/core/test/recordings/record-transaction-errors.mjs',
      client: `@confluentinc/kafka-javascript ${clientVersion}, librdkafka ${Kafka.librdkafkaVersion}`,
      broker:
        'Apache Kafka 4.1.1, KRaft single node, PLAINTEXT (dedicated broker on 19692, timed-out transactions checked every 1 s)',
      recordedAt: new Date().toISOString(),
      scenarios: Object.keys(scenarios),
    },
  });
  console.log(`wrote ${Object.keys(scenarios).length} scenarios into ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
