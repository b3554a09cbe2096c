// The packed packages against the local broker, from fresh projects outside the workspace: core loads
// the native Kafka client from the project's node_modules (linked from the workspace's build: it cannot
// be installed fresh here) and produces at acks=all; the output is read back from the broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, createTopics, readTopic, uniqueTopic } from '../support/kafka.js';
import { type ConsumerProject, createConsumerProject } from './support/consumer-project.js';

const SETUP_TIMEOUT = 240_000;
const env = process.env as Record<string, string>;
// The function's producer authenticates with SASL/PLAIN through envConfig(), as it would on MSK.
const saslEnv = () => ({
  KAFKA_BROKERS: env.KAFKA_SASL_BROKERS!,
  KAFKA_SASL_MECHANISM: env.KAFKA_SASL_MECHANISM ?? 'PLAIN',
  KAFKA_SASL_USERNAME: env.KAFKA_SASL_USERNAME!,
  KAFKA_SASL_PASSWORD: env.KAFKA_SASL_PASSWORD!,
});

describe('a consumer project on the local stack', () => {
  const projects: ConsumerProject[] = [];
  let esm: ConsumerProject;
  let commonjs: ConsumerProject;

  beforeAll(async () => {
    [esm, commonjs] = await Promise.all([
      createConsumerProject('esm-kafka', {
        type: 'module',
        nativeClient: true,
        files: {
          'src/orders.ts': 'esm/orders.ts',
          'src/produce.ts': 'esm/produce.ts',
          'tsconfig.json': 'esm/tsconfig.node16.json',
        },
      }),
      createConsumerProject('cjs-kafka', {
        type: 'commonjs',
        nativeClient: true,
        files: { 'produce.js': 'cjs/produce.js', 'tsconfig.json': 'cjs/tsconfig.json' },
      }),
    ]);
    projects.push(esm, commonjs);
    await esm.tsc('-p', '.');
  }, SETUP_TIMEOUT);

  afterAll(() => {
    for (const project of projects) project.remove();
  });

  it('ESM: runEventSource from @kafka-lambda/local feeds a real topic to the handler, whose producer writes to another', async () => {
    const input = uniqueTopic('consumer.esm.in');
    const output = uniqueTopic('consumer.esm.out');
    await createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 1 },
    ]);
    const orders = Array.from({ length: 6 }, (_, i) => ({ id: `e-${i}`, total: i + 1 }));
    await produceJson(
      input,
      orders.map((order) => ({ key: order.id, value: order })),
    );

    const result = await esm.result<{ recordsCommitted: number; errors: number }>(
      'out/produce.js',
      [input, output, String(orders.length)],
      { ...saslEnv(), RUNNER_BROKERS: brokers() },
    );
    expect(result).toEqual({ recordsCommitted: orders.length, errors: 0 });

    const written = await readTopic(output, orders.length);
    expect(written.map((m) => [m.key, JSON.parse(m.value!.toString())]).sort()).toEqual(
      orders.map((order) => [order.id, { id: order.id, doubled: order.total * 2 }]).sort(),
    );
  });

  it('CommonJS: the handler produces to the broker from a fake event and returns after the acks', async () => {
    const output = uniqueTopic('consumer.cjs.out');
    await createTopics([{ topic: output, partitions: 1 }]);

    const result = await commonjs.result<{ response: unknown }>('produce.js', [output], saslEnv());
    expect(result).toEqual({ response: null });

    const written = await readTopic(output, 3);
    expect(written.map((m) => [m.key, JSON.parse(m.value!.toString())])).toEqual([
      ['c-1', { id: 'c-1', doubled: 2 }],
      ['c-2', { id: 'c-2', doubled: 4 }],
      ['c-3', { id: 'c-3', doubled: 6 }],
    ]);
  });
});

/** Produces JSON values with the workspace's client (the test side, not the consumer project). */
async function produceJson(topic: string, messages: Array<{ key: string; value: unknown }>): Promise<void> {
  const { KafkaJS } = await import('@confluentinc/kafka-javascript');
  const producer = new KafkaJS.Kafka({
    kafkaJS: { brokers: [brokers()], logLevel: KafkaJS.logLevel.ERROR },
  }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: messages.map(({ key, value }) => ({ key, value: JSON.stringify(value) })),
    });
  } finally {
    await producer.disconnect();
  }
}
