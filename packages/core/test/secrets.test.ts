import { ConfigError } from '@kafka-lambda/core';
import {
  envConfig,
  SecretReadError,
  type SecretsManagerLike,
  secretsConfig,
} from '@kafka-lambda/core/config';
import { describe, expect, it } from 'vitest';

const PASSWORD = 'pa55-w0rd-never-logged';

function fakeClient(secret: unknown, options: { fail?: Error; delayMs?: number } = {}) {
  const client = {
    calls: 0,
    async send(command: unknown) {
      client.calls++;
      expect((command as { input: { SecretId: string } }).input.SecretId).toBe('kafka/prod');
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (options.fail) throw options.fail;
      return { SecretString: typeof secret === 'string' ? secret : JSON.stringify(secret) };
    },
  } satisfies SecretsManagerLike & { calls: number };
  return client;
}

describe('secretsConfig', () => {
  it('maps an ESM BASIC_AUTH secret plus brokers to librdkafka properties', async () => {
    const client = fakeClient({ username: 'svc', password: PASSWORD, bootstrapServers: 'b1:9096,b2:9096' });
    const config = secretsConfig({ secretId: 'kafka/prod', client, kafka: { 'linger.ms': 1 } });
    expect(await config.kafkaConfig()).toEqual({
      'bootstrap.servers': 'b1:9096,b2:9096',
      'sasl.username': 'svc',
      'sasl.password': PASSWORD,
      'sasl.mechanisms': 'PLAIN',
      'security.protocol': 'SASL_SSL',
      'linger.ms': 1,
    });
  });

  it('passes librdkafka properties through and keeps registry settings out of them', async () => {
    const client = fakeClient({
      'bootstrap.servers': 'b:9092',
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': 'u',
      'sasl.password': PASSWORD,
      'ssl.ca.location': '/etc/ca.pem',
      'schema.registry.url': 'https://sr.example',
      'basic.auth.user.info': `key:${PASSWORD}`,
    });
    const config = secretsConfig({ secretId: 'kafka/prod', client });
    const kafka = await config.kafkaConfig();
    expect(kafka).toMatchObject({ 'sasl.mechanisms': 'SCRAM-SHA-512', 'ssl.ca.location': '/etc/ca.pem' });
    expect(Object.keys(kafka).some((key) => key.startsWith('schema.') || key.startsWith('basic.'))).toBe(
      false,
    );
    expect(await config.schemaRegistrySettings()).toEqual({
      url: 'https://sr.example',
      basicAuth: `key:${PASSWORD}`,
      bearerToken: undefined,
    });
  });

  it('reads the secret once for concurrent and later callers, and again after invalidate or the TTL', async () => {
    const client = fakeClient(
      {
        'bootstrap.servers': 'b:9092',
        schemaRegistryUrl: 'http://sr',
        schemaRegistryKey: 'k',
        schemaRegistrySecret: 's',
      },
      { delayMs: 5 },
    );
    const config = secretsConfig({ secretId: 'kafka/prod', client });
    await Promise.all([config.kafkaConfig(), config.kafkaConfig(), config.schemaRegistrySettings()]);
    for (let i = 0; i < 50; i++) await config.kafkaConfig();
    expect(client.calls).toBe(1);
    expect((await config.schemaRegistrySettings()).basicAuth).toBe('k:s');
    config.invalidate();
    await config.kafkaConfig();
    expect(client.calls).toBe(2);

    const shortLived = secretsConfig({ secretId: 'kafka/prod', client, ttlSeconds: 0.01 });
    await shortLived.kafkaConfig();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await shortLived.kafkaConfig();
    expect(client.calls).toBe(4);
  });

  it('names the missing key and never the secret value', async () => {
    const config = secretsConfig({
      secretId: 'kafka/prod',
      client: fakeClient({ username: 'u', password: PASSWORD }),
    });
    const error = await config.kafkaConfig().catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('"bootstrap.servers"');
    expect(error.message).not.toContain(PASSWORD);
    const noPassword = secretsConfig({
      secretId: 'kafka/prod',
      client: fakeClient({ 'bootstrap.servers': 'b', username: 'u' }),
    });
    await expect(noPassword.kafkaConfig()).rejects.toThrow(/"sasl.password" or "password"/);
  });

  it('does not quote a secret that is not JSON', async () => {
    const config = secretsConfig({ secretId: 'kafka/prod', client: fakeClient(`{"password":"${PASSWORD}"`) });
    const error = await config.kafkaConfig().catch((e) => e);
    expect(error.message).toBe('secret "kafka/prod" is not valid JSON');
    await expect(
      secretsConfig({ secretId: 'kafka/prod', client: fakeClient('[1]') }).kafkaConfig(),
    ).rejects.toThrow(/JSON object/);
  });

  it('wraps AWS errors with the secret id and error name, and retries on the next call', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const client = fakeClient({ 'bootstrap.servers': 'b' }, { fail: throttled });
    const config = secretsConfig({ secretId: 'kafka/prod', client });
    const error = await config.kafkaConfig().catch((e) => e);
    expect(error).toBeInstanceOf(SecretReadError);
    expect(error.message).toBe('cannot read secret "kafka/prod": ThrottlingException');
    await config.kafkaConfig().catch(() => undefined);
    expect(client.calls).toBe(2);
  });

  it('bounds a read that never answers by readTimeoutMs, aborts it, and reads again on the next call', async () => {
    const signals: AbortSignal[] = [];
    let answer = false;
    const client = {
      calls: 0,
      // Like a socket that accepts and never answers; it ignores the signal (the race still bounds it).
      send(_command: unknown, options?: { abortSignal?: AbortSignal }) {
        client.calls++;
        if (options?.abortSignal) signals.push(options.abortSignal);
        if (answer)
          return Promise.resolve({ SecretString: JSON.stringify({ 'bootstrap.servers': 'b:9092' }) });
        return new Promise<never>(() => undefined);
      },
    } satisfies SecretsManagerLike & { calls: number };
    const config = secretsConfig({ secretId: 'kafka/prod', client, readTimeoutMs: 200 });
    const started = Date.now();
    const error = await config.kafkaConfig().catch((e) => e);
    expect(Date.now() - started).toBeLessThan(200 + 1_000);
    expect(error).toBeInstanceOf(SecretReadError);
    expect(error.message).toBe('cannot read secret "kafka/prod": TimeoutError (no answer within 200 ms)');
    expect(signals[0]?.aborted).toBe(true);
    answer = true;
    await expect(config.kafkaConfig()).resolves.toMatchObject({ 'bootstrap.servers': 'b:9092' });
    expect(client.calls).toBe(2);
  });
});

describe('a key of the secret that is a near miss (issue 28)', () => {
  it('is named with the key it resembles, never with its value', async () => {
    const client = fakeClient({ bootstrapServers: 'b:9096', username: 'svc', pasword: PASSWORD });
    const error = await secretsConfig({ secretId: 'kafka/prod', client })
      .kafkaConfig()
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /has no "sasl.password" or "password" \(it has "pasword": did you mean "password"\?\)/,
    );
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('for a registry setting too', async () => {
    const client = fakeClient({ bootstrapServers: 'b:9096', schemaRegistryUrI: 'https://sr.example' });
    const error = await secretsConfig({ secretId: 'kafka/prod', client })
      .schemaRegistrySettings()
      .catch((e: Error) => e);
    expect((error as Error).message).toMatch(/did you mean "schemaRegistryUrl"\?/);
    expect((error as Error).message).not.toContain('sr.example');
  });
});

describe('envConfig', () => {
  it('reads brokers, SASL and registry settings from the environment', async () => {
    const config = envConfig({
      env: {
        KAFKA_BROKERS: '127.0.0.1:9094',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: PASSWORD,
        SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
      },
    });
    expect(await config.kafkaConfig()).toMatchObject({
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanisms': 'PLAIN',
    });
    expect((await config.schemaRegistrySettings()).url).toBe('http://127.0.0.1:8081');
    await expect(envConfig({ env: {} }).kafkaConfig()).rejects.toThrow(ConfigError);
  });
});
