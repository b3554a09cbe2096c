// Issue 23, finding 6 (and finding 5's configuration part): what TypeScript checks and a JavaScript
// caller may still get wrong is a ConfigError at createKafkaHandler, naming the option and what was
// wrong, never a silent default or a failure of every record.
import { ConfigError, createKafkaHandler, hooks, json, jsonLogger, string } from '@kafka-lambda/core';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';
import { ScriptedProducer } from './support/scripted-producer.js';

const process = () => {};
const store = memoryIdempotencyStore();

/** The ConfigError createKafkaHandler throws for `options` (fails the test when it throws none). */
function configError(options: Record<string, unknown>): ConfigError {
  try {
    createKafkaHandler({ process, ...options } as never);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`createKafkaHandler accepted ${Object.keys(options).join(', ')}`);
}

describe('every option is checked at run time, at createKafkaHandler', () => {
  it.each([
    // A deserializer factory passed uncalled: every record would fail at decode.
    [{ value: json }, /^value is a function \(`json`\), not a deserializer: did you mean `json\(\)`\?$/],
    [{ key: string }, /^key is a function \(`string`\), not a deserializer: did you mean `string\(\)`\?$/],
    [{ value: (() => () => {})() }, /^value is a function, not a deserializer/],
    [{ value: 'json' }, /^value must be a deserializer \(an object with deserialize\(\)\), not a string$/],
    [{ value: null }, /^value must be a deserializer .*, not null$/],
    [{ value: { serialize: () => Buffer.alloc(0) } }, /^value has no deserialize\(\) method/],
    [{ key: {} }, /^key has no deserialize\(\) method/],
    // A misspelt tombstones value skipped tombstones silently.
    [
      { tombstones: 'Process' },
      /^tombstones must be 'skip' or 'process', not 'Process' \(did you mean 'process'\?\)$/,
    ],
    [{ tombstones: true }, /^tombstones must be 'skip' or 'process', not a boolean$/],
    [
      { onError: 'deadletter' },
      /onError must be one of .*, not 'deadletter' \(did you mean 'dead-letter'\?\)$/,
    ],
    [{ process: 'handle' }, /^process must be a function \(record, context\), not a string$/],
    [
      { onError: { policy: 'dead-letter', topic: 42 } },
      /^onError\.topic must be a topic name or a function of \(record, error\) returning one, not a number$/,
    ],
    [
      { onError: { policy: 'dead-letter', topic: ' ' } },
      /^onError\.topic must be a topic name or a function/,
    ],
    [{ onError: { policy: 'dead-letter' } }, /^onError\.topic must be a topic name or a function/],
    [
      { onError: { policy: 'log', topic: 'dlq' } },
      /^onError\.topic is for policy 'dead-letter' only, not 'log'$/,
    ],
    [
      { onError: { policy: 'reprot' } },
      /^onError\.policy must be one of .*, not 'reprot' \(did you mean 'report'\?\)$/,
    ],
    [
      { onError: { policy: 'log', allFailedAlike: 'yes' } },
      /^onError\.allFailedAlike must be 'fail-invocation' or 'apply-policy'$/,
    ],
    [{ onError: { policy: 'log', topik: 'x' } }, /^onError has no `topik` \(did you mean `topic`\?\)$/],
    [
      { onError: ['log'] },
      /^onError must be 'log', 'dead-letter', 'report', 'retry-batch' or \{ policy, topic\?, allFailedAlike\? \}, not an array$/,
    ],
    [
      { onError: 'dead-letter' },
      /^onError: 'dead-letter' needs its topic: onError: \{ policy: 'dead-letter', topic: 'orders\.dlq' \}$/,
    ],
    [
      { onError: { policy: 'dead-letter', topic: 'dlq' } },
      /^onError: \{ policy: 'dead-letter' \} needs a `producer` to write the dead letters$/,
    ],
    [
      { deadLetterTopic: 'dlq', onError: 'dead-letter' },
      /^`deadLetterTopic` moved into onError: onError: \{ policy: 'dead-letter', topic: 'orders\.dlq' \}$/,
    ],
    [{ allFailedAlike: 'apply-policy' }, /^`allFailedAlike` moved into onError/],
    [{ producer: 'localhost:9092' }, /^producer must be a producer \(producer: kafkaProducer\(config\)/],
    [{ concurrency: '4' }, /^concurrency must be a positive integer/],
    [
      { ordering: 'keys' },
      /^ordering must be 'partition', 'key', 'none' or \{ key: \(rawKey\) => string \| null \}$/,
    ],
    [{ ordering: { key: 'id' } }, /^ordering must be /],
    [{ partitionConcurrency: 4 }, /^`partitionConcurrency` is now `concurrency`/],
    [
      { logger: jsonLogger },
      /^logger is a function \(`jsonLogger`\), not a logger: did you mean `jsonLogger\(\)`\?$/,
    ],
    [
      { logger: { info() {}, error() {} } },
      /^logger needs debug\(\), info\(\), warn\(\) and error\(\) methods: it has no debug\(\), warn\(\)$/,
    ],
    [
      { logger: 'console' },
      /^logger must be an object with debug\(\), info\(\), warn\(\) and error\(\) methods, not a string$/,
    ],
    [{ logSummary: 'false' }, /^logSummary must be true or false, not a string$/],
    [
      { hooks: { onBatchEnd() {} } },
      /^`hooks` is a middleware now: use: \[hooks\(\{ onRecordError, onBatchEnd \}\)\]/,
    ],
    [
      { instrumentation: [] },
      /^`instrumentation` is part of `use` now: use: \[kafkaTracing\(\), kafkaMetrics\(\)\]/,
    ],
    [
      { use: { name: 'tracing', startBatch() {} } },
      /^use must be an array of batch middleware: did you mean `use: \[tracing\]`\?$/,
    ],
    [{ use: 'idempotency' }, /^use must be an array of batch middleware: `use: \[\.\.\.\]`$/],
    [
      { use: [function kafkaTracing() {}] },
      /^use\[0\] is a function \(`kafkaTracing`\), not a middleware: did you mean `kafkaTracing\(\)`\?$/,
    ],
    [{ use: [{ startBatch() {} }] }, /^use\[0\] must be a batch middleware: an object with a `name`$/],
    [{ use: [{ name: 'm', startBatch: {} }] }, /^use\[0\] \('m'\): startBatch must be a function$/],
    [
      { use: [{ name: 'm' }] },
      /^use\[0\] \('m'\) has none of before\(\), after\(\), startBatch\(\) or events$/,
    ],
    [{ use: [hooks({})], hooks: {} }, /^`hooks` is a middleware now/],
    [{ transactional: 'yes' }, /^`transactional` moved to the producer/],
    [
      { idempotency: { store } },
      /^`idempotency` is a middleware now: use: \[idempotency\(\{ store, \.\.\. \}\)\] from '@kafka-lambda\/idempotency'$/,
    ],
    // Finding 5: a reserve below what the end of a batch needs let Lambda's timeout end the invocation.
    [{ deadlineReserveMs: 0 }, /^deadlineReserveMs \(0 ms\) is below 500 ms, what the end of a batch needs/],
    [{ deadlineReserveMs: 499 }, /^deadlineReserveMs \(499 ms\) is below 500 ms/],
    [{ deadlineReserveMs: '1000' }, /^deadlineReserveMs must be a finite number of milliseconds/],
  ])('%o is refused: %s', (options, message) => {
    expect(configError(options).message).toMatch(message);
  });

  it('accepts what the types accept', () => {
    const ok: Array<Record<string, unknown>> = [
      { key: string(), value: json(), tombstones: 'process', logSummary: false },
      { tombstones: 'skip', deadlineReserveMs: 500, concurrency: 1 },
      { ordering: 'key', concurrency: 100 },
      { ordering: 'none' },
      { ordering: { key: (rawKey: Buffer | null) => rawKey?.toString('hex') ?? null } },
      { logger: console, use: [] },
      { logger: jsonLogger({ level: 'silent' }), use: [hooks({ onRecordError() {}, onBatchEnd() {} })] },
      { use: [{ name: 'observer', startBatch: () => undefined }] },
      { onError: { policy: 'dead-letter', topic: () => 'dlq' }, producer: new ScriptedProducer() },
      { use: [idempotency({ store, key: () => 'k', completedTtlSeconds: 60, keyPrefix: 'p' })] },
      // A deserializer may be any object with deserialize(), its prototype's included.
      {
        value: new (class {
          deserialize(bytes: Buffer) {
            return bytes;
          }
        })(),
      },
      { value: Object.assign(() => {}, { deserialize: (bytes: Buffer) => bytes }) },
    ];
    for (const options of ok)
      expect(() => createKafkaHandler({ process, ...options } as never)).not.toThrow();
  });
});
