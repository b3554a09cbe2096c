// `eval "$(node scripts/stack/stack.mjs env)"` as docs/testing.md says, then envConfig() as the
// handler reads it: both listeners' variables must make a producer that the broker acknowledges.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createKafkaHandler } from '@kafka-lambda/core';
import { envConfig } from '@kafka-lambda/core/config';
import { kafkaProducer } from '@kafka-lambda/core/producer';
import { lambdaContext, selfManagedKafkaEvent } from '@kafka-lambda/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopics, readTopic, uniqueTopic } from './support/kafka.js';

const STACK = fileURLToPath(new URL('../scripts/stack/stack.mjs', import.meta.url));
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** The environment a shell has after evaluating the command's output (from a clean one). */
function shellAfterEval(args: string): NodeJS.ProcessEnv {
  const out = execFileSync(
    'bash',
    ['-c', `eval "$("${process.execPath}" "${STACK}" env ${args})" && env -0`],
    { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } },
  ).toString();
  return Object.fromEntries(
    out
      .split('\0')
      .filter(Boolean)
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

const handlers: Array<ReturnType<typeof createKafkaHandler>> = [];
afterAll(async () => {
  await Promise.all(handlers.map((handler) => handler.producer?.close()));
});

describe('stack.mjs env and envConfig()', () => {
  it.each([
    ['', '127.0.0.1:9092', undefined],
    ['--sasl', '127.0.0.1:9094', 'SASL_PLAINTEXT'],
  ])(
    'env %s: KAFKA_BROKERS and the SASL variables agree, and a handler with envConfig() produces',
    async (args, brokers, protocol) => {
      const env = shellAfterEval(args);
      const config = await envConfig({ env }).kafkaConfig();
      expect(config['bootstrap.servers']).toBe(brokers);
      expect(config['security.protocol']).toBe(protocol);
      expect(config['sasl.username'] !== undefined).toBe(protocol !== undefined);

      const topic = uniqueTopic('stack-env');
      await createTopics([{ topic }]);
      const handler = createKafkaHandler({
        producer: kafkaProducer(envConfig({ env }), { logger: silent }),
        logger: silent,
        process(record, { produce }) {
          produce({ topic, value: record.value });
        },
      });
      handlers.push(handler);
      await handler(
        selfManagedKafkaEvent([{ topic: 'in', value: 'hello' }]),
        lambdaContext({ timeoutMs: 15_000 }),
      );
      const [message] = await readTopic(topic, 1);
      expect(message?.value?.toString()).toBe('hello');
    },
  );
});
