// Fault matrix, part 4: AWS Secrets Manager fails (a proxy in front of moto errors or throttles), or
// holds a secret of the wrong shape. The credentials reach the broker's SASL listener (:9094). Every
// log line and error message of this file is searched for the secret values at the end.
// (A wrong SASL password is covered by packages/core/test/secrets.int.test.ts: it fails fast with
// a ProducerConnectionError and the secret is read again on the next invocation.)
import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConfigError, createKafkaHandler, type KafkaHandler } from '@kafka-lambda/core';
import { secretsConfig } from '@kafka-lambda/core/config';
import { kafkaProducer } from '@kafka-lambda/core/producer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, uniqueTopic } from '../support/kafka.js';
import {
  type FaultProxy,
  kafkaEvent,
  lambdaContext,
  range,
  SecretAudit,
  startFaultProxy,
  tally,
  topicValues,
  tradeRecords,
} from '../support/reliability.js';

const env = process.env;
const audit = new SecretAudit();
const PASSWORD = audit.secret(env.KAFKA_SASL_PASSWORD ?? 'kafka-lambda-secret');
const REGISTRY_KEY = audit.secret('sr-api-secret-9Kq2xWv7');
const admin = new SecretsManagerClient({});
let proxy: FaultProxy;
const handlers: KafkaHandler[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? 'http://127.0.0.1:5050');
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all(handlers.map((h) => h.producer?.close().catch(() => undefined)));
});

const goodSecret = () => ({
  'bootstrap.servers': env.KAFKA_SASL_BROKERS,
  'security.protocol': 'SASL_PLAINTEXT',
  username: env.KAFKA_SASL_USERNAME,
  password: PASSWORD,
  'schema.registry.url': 'http://127.0.0.1:8081/apis/ccompat/v7',
  'basic.auth.user.info': `key:${REGISTRY_KEY}`,
});

async function createSecret(value: string): Promise<string> {
  const name = `kafka-lambda/reliability/${randomUUID()}`;
  await admin.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return name;
}

function copyHandler(name: string, secretId: string, out: string) {
  const client = new SecretsManagerClient({ endpoint: proxy.url, maxAttempts: 2 });
  const handler = createKafkaHandler({
    producer: kafkaProducer(secretsConfig({ secretId, client }), { logger: audit.logger(name) }),
    logger: audit.logger(name),
    process(record, { produce }) {
      produce({ topic: out, key: record.key, value: `out-${JSON.parse(record.value.toString()).id}` });
    },
  });
  handlers.push(handler);
  return handler;
}

async function invoke(
  handler: KafkaHandler,
  count: number,
  from = 0,
  remainingMs = 30_000,
): Promise<Error | undefined> {
  try {
    await handler(kafkaEvent(tradeRecords('secret-trades', 0, count, { from })), lambdaContext(remainingMs));
    return undefined;
  } catch (error) {
    audit.error('invocation', error);
    return error as Error;
  }
}

const outs = (ids: number[]) => ids.map((id) => `out-${id}`).sort();

describe('Secrets Manager faults', () => {
  const faults = {
    erroring: {
      kind: 'status',
      status: 500,
      body: { __type: 'InternalServiceError', message: 'internal failure' },
      headers: { 'x-amzn-errortype': 'InternalServiceError' },
    },
    throttling: {
      kind: 'status',
      status: 400,
      body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
      headers: { 'x-amzn-errortype': 'ThrottlingException' },
    },
    unreachable: { kind: 'reset' },
  } as const;

  for (const [fault, action] of Object.entries(faults)) {
    it(`Secrets Manager ${fault}: the invocation fails naming the secret; once it answers, the retry reads it and delivers`, async () => {
      const out = uniqueTopic(`rel.sm-${fault}`);
      await createTopics([{ topic: out }]);
      const secretId = await createSecret(JSON.stringify(goodSecret()));
      const handler = copyHandler(`secrets ${fault}`, secretId, out);
      proxy.rule = () => action;
      // The producer keeps trying to read the secret (spaced 250 ms … 5 s) while the batch has time.
      const started = Date.now();
      const error = await invoke(handler, 5, 0, 6_000);
      expect(Date.now() - started).toBeLessThan(6_000);
      proxy.rule = () => ({ kind: 'pass' });
      expect(error).toBeDefined();
      expect(String(error!.message)).toContain(secretId);
      expect(await invoke(handler, 5)).toBeUndefined();
      expect(tally(await topicValues(out, 5)).distinct).toEqual(outs(range(0, 5)));
    });
  }

  const wrongShapes: Record<string, () => string> = {
    'not JSON (and quoting the password)': () => `bootstrap.servers=x password=${PASSWORD}`,
    'a JSON array': () => JSON.stringify([PASSWORD]),
    'no bootstrap.servers': () => JSON.stringify({ ...goodSecret(), 'bootstrap.servers': undefined }),
    'a password that is not a string': () =>
      JSON.stringify({ ...goodSecret(), password: { value: PASSWORD } }),
    'a username without password': () => JSON.stringify({ ...goodSecret(), password: undefined }),
  };

  for (const [shape, value] of Object.entries(wrongShapes)) {
    it(`a secret holding ${shape}: a ConfigError without the values; after the secret is fixed the next invocation delivers`, async () => {
      const out = uniqueTopic('rel.sm-shape');
      await createTopics([{ topic: out }]);
      const secretId = await createSecret(value());
      const handler = copyHandler(`secret shape ${shape}`, secretId, out);
      const error = await invoke(handler, 3);
      const cause = (error as { cause?: Error } | undefined)?.cause ?? error;
      expect(cause).toBeInstanceOf(ConfigError);
      expect(String(cause!.message)).toContain(secretId);
      // Someone fixes the secret; the warm container must pick it up (the ESM keeps retrying).
      await admin.send(
        new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(goodSecret()) }),
      );
      expect(await invoke(handler, 3)).toBeUndefined();
      expect(tally(await topicValues(out, 3)).distinct).toEqual(outs(range(0, 3)));
    });
  }

  it('no secret value appears in any log line or error message of these faults', () => {
    expect(audit.size.texts).toBeGreaterThan(8);
    expect(audit.leaks()).toEqual([]);
  });
});
