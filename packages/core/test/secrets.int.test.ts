import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createKafkaHandler } from '@kafka-lambda/core';
import { secretsConfig } from '@kafka-lambda/core/config';
import { kafkaProducer, ProducerConnectionError, type RdKafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, describe, expect, it } from 'vitest';
import { countSecretsCalls } from '../../../scripts/stack/index.mjs';
import { createTopics, readTopic, uniqueTopic } from '../../../test/support/kafka.js';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';

const env = process.env;
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

async function createSecret(value: object): Promise<string> {
  const name = `kafka-lambda/test/${randomUUID()}`;
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) }),
  );
  return name;
}

describe('secretsConfig against the Secrets Manager emulator and the SASL listener', () => {
  it('SASL credentials from the secret reach the broker; 50 invocations read the secret once', async () => {
    const out = uniqueTopic('from-secret');
    await createTopics([{ topic: out }]);
    const secretId = await createSecret({
      'bootstrap.servers': env.KAFKA_SASL_BROKERS,
      'security.protocol': 'SASL_PLAINTEXT',
      username: env.KAFKA_SASL_USERNAME,
      password: env.KAFKA_SASL_PASSWORD,
    });
    const readsBefore = await countSecretsCalls('GetSecretValue');
    const handler = createKafkaHandler({
      producer: kafkaProducer(secretsConfig({ secretId }), { logger: silentLogger }),
      logger: silentLogger,
      process(record, { produce }) {
        produce({ topic: out, value: `copy-${record.offset}` });
      },
    });
    closers.push(() => handler.producer!.close());
    for (let i = 0; i < 50; i++) await handler(mskEvent([eventRecord('in', 0, i, 'v')]), context());

    expect((await countSecretsCalls('GetSecretValue')) - readsBefore).toBe(1);
    expect((handler.producer as RdKafkaProducer).stats).toMatchObject({ connects: 1, delivered: 50 });
    const copies = await readTopic(out, 50);
    expect(copies.map((m) => m.value!.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `copy-${i}`));
  });

  it('a wrong password in the secret fails the invocation fast with an authentication error, and the secret is re-read', async () => {
    const secretId = await createSecret({
      'bootstrap.servers': env.KAFKA_SASL_BROKERS,
      'security.protocol': 'SASL_PLAINTEXT',
      username: env.KAFKA_SASL_USERNAME,
      password: 'not-the-password',
    });
    const logs: string[] = [];
    const logger = {
      ...silentLogger,
      error: (m: string, ...e: object[]) => logs.push(m + JSON.stringify(e)),
      warn: (m: string, ...e: object[]) => logs.push(m + JSON.stringify(e)),
    };
    const handler = createKafkaHandler({
      producer: kafkaProducer(secretsConfig({ secretId }), { logger }),
      logger,
      process(_record, { produce }) {
        produce({ topic: 'never-written', value: 'x' });
      },
    });
    closers.push(() => handler.producer!.close().catch(() => undefined));
    const readsBefore = await countSecretsCalls('GetSecretValue');
    const error = await handler(mskEvent([eventRecord('in', 0, 1, 'v')]), context()).catch((e) => e);
    expect(error.failures?.[0]?.error ?? error).toBeInstanceOf(ProducerConnectionError);
    expect(String(error.message)).toMatch(/authenticat/i);
    // Refused credentials are forgotten: the next invocation reads the secret again (it may have rotated).
    await handler(mskEvent([eventRecord('in', 0, 2, 'v')]), context()).catch(() => undefined);
    expect((await countSecretsCalls('GetSecretValue')) - readsBefore).toBeGreaterThanOrEqual(1);
    expect(logs.join('\n')).not.toContain('not-the-password');
    expect(String(error.message)).not.toContain('not-the-password');
  });
});
