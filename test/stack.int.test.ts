// Proves the local stack is real: a broker that acknowledges at acks=all (plain and SASL), a Schema
// Registry with the Confluent API, and a Secrets Manager endpoint the AWS SDK talks to.
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { KafkaJS, Producer } from '@confluentinc/kafka-javascript';
import { describe, expect, it } from 'vitest';
import { brokers, createTopics, readTopic, uniqueTopic } from './support/kafka.js';

const env = process.env;

async function produceThousand(topic: string, config: Record<string, unknown>): Promise<void> {
  const producer = new KafkaJS.Kafka({}).producer({
    'bootstrap.servers': config['bootstrap.servers'],
    acks: -1,
    'enable.idempotence': true,
    'linger.ms': 5,
    ...config,
  } as never);
  await producer.connect();
  try {
    // Un-awaited sends, then one flush: every send resolves only on its delivery report.
    const sends = Array.from({ length: 1_000 }, (_, i) =>
      producer.send({
        topic,
        messages: [{ key: `k${i}`, value: `v${i}`, headers: { seq: String(i), dup: ['a', 'b'] } }],
      }),
    );
    await producer.flush({ timeout: 30_000 });
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
}

function expectAllThousand(messages: Awaited<ReturnType<typeof readTopic>>): void {
  expect(messages).toHaveLength(1_000);
  const byKey = new Map(messages.map((m) => [m.key, m]));
  for (let i = 0; i < 1_000; i++) {
    const message = byKey.get(`k${i}`);
    expect(message?.value?.toString()).toBe(`v${i}`);
    expect(message?.headers).toEqual({ seq: String(i), dup: ['a', 'b'] });
  }
}

describe('local stack', () => {
  it('Kafka acknowledges 1,000 idempotent acks=all messages after one flush, and they read back intact', async () => {
    const topic = uniqueTopic('smoke');
    await createTopics([{ topic, partitions: 3 }]);
    await produceThousand(topic, { 'bootstrap.servers': brokers() });
    expectAllThousand(await readTopic(topic, 1_000));
  });

  it('the SASL_PLAINTEXT listener accepts the test user', async () => {
    const topic = uniqueTopic('smoke-sasl');
    await createTopics([{ topic }]);
    await produceThousand(topic, {
      'bootstrap.servers': env.KAFKA_SASL_BROKERS,
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanisms': 'PLAIN',
      'sasl.username': env.KAFKA_SASL_USERNAME,
      'sasl.password': env.KAFKA_SASL_PASSWORD,
    });
    expectAllThousand(await readTopic(topic, 1_000));
  });

  it('a wrong SASL password fails fast with an authentication error', async () => {
    const producer = new Producer({
      'bootstrap.servers': env.KAFKA_SASL_BROKERS,
      'security.protocol': 'sasl_plaintext',
      'sasl.mechanisms': 'PLAIN',
      'sasl.username': env.KAFKA_SASL_USERNAME,
      'sasl.password': 'wrong-password',
      log_level: 3,
    });
    // librdkafka logs the broker's refusal while connecting (the connect call itself would only time
    // out): it must come well before librdkafka's 30 s socket timeout.
    const refused = new Promise<string>((resolve) =>
      producer.on('event.log', (log: { message: string }) => {
        if (/SASL authentication error/.test(log.message)) resolve(log.message);
      }),
    );
    producer.connect({ timeout: 30_000 }, () => undefined);
    const outcome = await Promise.race([
      refused,
      new Promise((resolve) => setTimeout(() => resolve('no refusal within 10 s'), 10_000)),
    ]);
    producer.disconnect(() => undefined);
    expect(outcome).toMatch(/Authentication failed/);
  });

  it('the Schema Registry registers Avro and Protobuf schemas and serves them by id', async () => {
    const base = env.SCHEMA_REGISTRY_URL!;
    const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' };
    const avro = JSON.stringify({
      type: 'record',
      name: 'Trade',
      fields: [{ name: 'symbol', type: 'string' }],
    });
    const proto = 'syntax = "proto3";\nmessage Settlement { string user = 1; double amount = 2; }\n';
    const suffix = randomUUID().slice(0, 8);
    const register = async (subject: string, body: object) => {
      const response = await fetch(`${base}/subjects/${subject}/versions`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { id: number }).id;
    };
    const avroId = await register(`avro-${suffix}-value`, { schema: avro });
    const protoId = await register(`proto-${suffix}-value`, { schema: proto, schemaType: 'PROTOBUF' });
    expect(avroId).not.toBe(protoId);

    const byId = async (id: number) =>
      (await (await fetch(`${base}/schemas/ids/${id}`)).json()) as { schema: string; schemaType?: string };
    expect(JSON.parse((await byId(avroId)).schema)).toEqual(JSON.parse(avro));
    const protoSchema = await byId(protoId);
    expect(protoSchema.schemaType).toBe('PROTOBUF');
    expect(protoSchema.schema).toContain('message Settlement');
  });

  it('Secrets Manager stores and returns a secret through the AWS SDK', async () => {
    const client = new SecretsManagerClient({});
    const name = `kafka-lambda/smoke/${randomUUID()}`;
    await client.send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ username: 'u', password: 'p' }) }),
    );
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: name }));
    expect(JSON.parse(SecretString!)).toEqual({ username: 'u', password: 'p' });
  });
});
