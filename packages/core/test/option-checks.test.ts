// Issue 23, finding 6 (and finding 5's configuration part): what TypeScript checks and a JavaScript
// caller may still get wrong is a ConfigError at createKafkaHandler, naming the option and what was
// wrong, never a silent default or a failure of every record.
import { ConfigError, createKafkaHandler, json, jsonLogger, string } from '@kafka-lambda/core';
import { memoryIdempotencyStore, memoryProducer } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';

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
    [{ deadLetterTopic: 42, onError: 'log' }, /^deadLetterTopic must be a topic name or a function/],
    [{ deadLetterTopic: '', onError: 'log' }, /^deadLetterTopic must be a topic name or a function/],
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
    [{ hooks: () => {} }, /^hooks must be an object \{ onRecordError\?, onBatchEnd\? \}, not a function$/],
    [{ hooks: { onBatchEnd: 'log' } }, /^hooks\.onBatchEnd must be a function, not a string$/],
    [{ hooks: { onRecordErorr() {} } }, /^hooks has no `onRecordErorr` \(did you mean `onRecordError`\?\)$/],
    [
      { instrumentation: { startBatch() {} } },
      /^instrumentation must be an array: did you mean `instrumentation: \[…\]`\?$/,
    ],
    [
      { instrumentation: [function tracing() {}] },
      /^instrumentation\[0\] is a function \(`tracing`\), not an instrumentation: did you mean `tracing\(\)`\?$/,
    ],
    [{ instrumentation: [{}] }, /^instrumentation\[0\] needs a startBatch\(\) method/],
    [{ transactional: 'yes' }, /^`transactional` moved to the producer/],
    [
      { idempotency: { store: memoryIdempotencyStore } },
      /^idempotency\.store is a function \(`memoryIdempotencyStore`\), not a store: did you mean `memoryIdempotencyStore\(…\)`\?$/,
    ],
    [
      { idempotency: { store: {} } },
      /^idempotency\.store must have claim\(\), complete\(\) and release\(\) methods/,
    ],
    [
      { idempotency: { store, key: 'tradeId' } },
      /^idempotency\.key must be a function of the record returning a string, not a string/,
    ],
    [
      { idempotency: { store, completedTtlSeconds: '3600' } },
      /^idempotency\.completedTtlSeconds must be a positive number of seconds, not a string/,
    ],
    [
      { idempotency: { store, completedTtlSeconds: Number.POSITIVE_INFINITY } },
      /^idempotency\.completedTtlSeconds must be a positive number of seconds/,
    ],
    [
      { idempotency: { store, completedTtlSeconds: 1e300 } },
      /^idempotency\.completedTtlSeconds \(1e\+300\) is over 1,000 years: it is in seconds/,
    ],
    [{ idempotency: { store, keyPrefix: 7 } }, /^idempotency\.keyPrefix must be a non-empty string/],
    [{ idempotency: true }, /^idempotency must be an object with a `store`/],
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
      { logger: console, hooks: {}, instrumentation: [] },
      { logger: jsonLogger({ level: 'silent' }), hooks: { onRecordError() {}, onBatchEnd() {} } },
      { onError: 'dead-letter', deadLetterTopic: () => 'dlq', producer: memoryProducer() },
      { idempotency: { store, key: () => 'k', completedTtlSeconds: 60, keyPrefix: 'p' } },
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
