// Issue 15, item 6: mistakes that used to surface at the first batch or in the logs.
import { ConfigError, createKafkaHandler, json, jsonLogger, RecordDecodeError } from '@kafka-lambda/core';
import { envConfig } from '@kafka-lambda/core/config';
import { RecordProcessingError } from '@kafka-lambda/core/errors';
import { kafkaProducer } from '@kafka-lambda/core/producer';
import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';

function capture() {
  const lines: string[] = [];
  return { lines, logger: jsonLogger({ write: (line) => lines.push(line) }) };
}

describe('mistakes found at load, not at the first batch', () => {
  it('an unknown option name is a ConfigError naming it and the option it resembles', () => {
    expect(() =>
      createKafkaHandler({
        onError: 'log',
        deadLetterTopc: 'orders.dlq',
        process() {},
      } as never),
    ).toThrow(
      new ConfigError('createKafkaHandler has no option `deadLetterTopc` (did you mean `deadLetterTopic`?)'),
    );
    expect(() => createKafkaHandler({ process() {}, colour: 'blue' } as never)).toThrow(
      /^createKafkaHandler has no option `colour`$/,
    );
  });

  it.each([[{}], [{ 'bootstrap.servers': '' }], [{ 'client.id': 'x' }]])(
    'kafkaProducer(%j) (no brokers) fails at load',
    (config) => {
      expect(() => kafkaProducer(config)).toThrow(/kafkaProducer needs 'bootstrap.servers'/);
    },
  );

  it.each([
    [
      { 'bootstrap.servers': 'b:9092' },
      /producer takes a producer, not its config: producer: kafkaProducer\(config\)/,
    ],
    [{ kafkaConfig: async () => ({}) }, /producer takes a producer, not its config/],
    [
      {},
      /producer must be a producer \(producer: kafkaProducer\(config\) from '@kafka-lambda\/core\/producer'/,
    ],
    ['b:9092', /producer must be a producer/],
  ])('producer: %j (not a producer) fails at load, saying how to build one', (producer, message) => {
    expect(() => createKafkaHandler({ producer, process() {} } as never)).toThrow(message);
  });

  it('the transactional option of earlier versions says where it went', () => {
    expect(() => createKafkaHandler({ transactional: true, process() {} } as never)).toThrow(
      "`transactional` moved to the producer: producer: kafkaProducer(config, { transactional: true }) from '@kafka-lambda/core/producer'",
    );
  });
});

describe('what a failed record logs', () => {
  const event = mskEvent(
    [
      { key: 'a', value: 'not json', offset: 5 },
      { key: 'b', value: { ok: true }, offset: 6 },
    ],
    { topic: 'orders' },
  );

  it("retry-batch: a decode failure names the record once and says 'cannot decode'", async () => {
    const { logger } = capture();
    const handler = createKafkaHandler({ value: json(), onError: 'retry-batch', logger, process() {} });
    const error = (await handler(event, lambdaContext()).catch((e: unknown) => e)) as RecordProcessingError;
    expect(error).toBeInstanceOf(RecordProcessingError);
    expect(error.message).toMatch(/^cannot decode value of orders-0@5: /);
    expect(error.message.split('orders-0@5').length).toBe(2);
    expect(error.cause).toBeInstanceOf(RecordDecodeError);
  });

  it("record errors keep `location` off their own fields (Powertools' key) and expose `record`", async () => {
    const handler = createKafkaHandler({
      value: json(),
      onError: 'retry-batch',
      logger: capture().logger,
      process() {},
    });
    const error = (await handler(event, lambdaContext()).catch((e: unknown) => e)) as RecordProcessingError;
    const decode = error.cause as RecordDecodeError;
    for (const e of [error, decode]) {
      expect(Object.keys(e)).not.toContain('location');
      expect(e.record).toEqual({ topic: 'orders', partition: 0, offset: 5 });
      expect(e.location).toEqual(e.record);
    }
    expect(decode.reason).not.toContain('orders-0@5');
  });

  it('log: one short line per failed record — the first frames of a user error, no stack for a decode error', async () => {
    const { lines, logger } = capture();
    const handler = createKafkaHandler({
      value: json<{ ok: boolean }>(),
      logger,
      logSummary: false,
      process() {
        throw new Error('the order service said no');
      },
    });
    await handler(event, lambdaContext());
    const failures = lines
      .map((line) => JSON.parse(line))
      .filter((entry) => entry.message.startsWith('record failed'));
    expect(failures).toHaveLength(2);
    const [decode, thrown] = failures;
    expect(decode.error).toMatchObject({ name: 'RecordDecodeError', cause: { name: 'SyntaxError' } });
    expect(decode.error.at).toBeUndefined();
    expect(thrown.error).toMatchObject({ name: 'Error', message: 'the order service said no' });
    expect(thrown.error.at.length).toBeGreaterThan(0);
    expect(thrown.error.at.length).toBeLessThanOrEqual(3);
    expect(thrown.error.stack).toBeUndefined();
    for (const line of lines.filter((l) => l.includes('record failed')))
      expect(line.length).toBeLessThan(900);
  });
});

describe('envConfig() errors name the environment variable', () => {
  it.each([
    [{}, 'the environment has no KAFKA_BROKERS'],
    [{ KAFKA_BROKERS: 'b:9092', KAFKA_SASL_USERNAME: 'u' }, 'the environment has no KAFKA_SASL_PASSWORD'],
  ])('%j', async (env, message) => {
    await expect(envConfig({ env }).kafkaConfig()).rejects.toThrow(new ConfigError(message));
  });

  it('and the registry URL', async () => {
    await expect(envConfig({ env: {} }).schemaRegistrySettings()).rejects.toThrow(
      new ConfigError('the environment has no SCHEMA_REGISTRY_URL'),
    );
  });
});
