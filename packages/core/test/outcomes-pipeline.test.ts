// A record's way through the pipeline (decode → process → serialize), as a user sees it: which bytes
// each deserializer gets and with which context, what `record.key` and `record.value` are, which
// return values of `process` are awaited, where a failure is said to have happened, and what an
// async serializer or an observer's `produce` hands the producer. Written against the mutation run's
// survivors in record-pipeline.ts (issue 23).
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  createKafkaHandler,
  type Deserializer,
  hooks,
  json,
  type KafkaRecord,
  RecordDecodeError,
  string,
} from '@kafka-lambda/core';
import { idempotency } from '@kafka-lambda/idempotency';
import { memoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import { describe, expect, it } from 'vitest';
import { b64, context, eventRecord, mskEvent, silentLogger } from './fixtures.js';
import { captureLogger } from './support/capture-logger.js';
import { ScriptedProducer } from './support/scripted-producer.js';

type Seen = { key: unknown; value: unknown };

/** A deserializer that answers asynchronously (a registry's), noting the context's part of each call. */
function asyncUpper(parts: string[]): Deserializer<string> {
  return {
    deserialize: async (bytes, context) => {
      parts.push(context.part);
      return bytes.toString('utf8').toUpperCase();
    },
  };
}

function collect() {
  const seen: Seen[] = [];
  const errors: Error[] = [];
  return {
    seen,
    errors,
    use: [hooks({ onRecordError: (error: Error) => void errors.push(error) })],
    process: (record: KafkaRecord<unknown, unknown>) =>
      void seen.push({ key: record.key, value: record.value }),
  };
}

describe('each part is decoded from its own bytes, by its own deserializer', () => {
  for (const idempotent of [false, true]) {
    const how = idempotent ? 'decoded ahead for a business idempotency key' : 'decoded as the record runs';
    it(`an async key deserializer gets the key's bytes and part 'key'; process() sees the decoded key (${how})`, async () => {
      const keyParts: string[] = [];
      const valueParts: string[] = [];
      const { seen, process } = collect();
      const handler = createKafkaHandler({
        key: asyncUpper(keyParts),
        value: asyncUpper(valueParts),
        logger: silentLogger,
        ...(idempotent && {
          use: [
            idempotency({ store: memoryIdempotencyStore(), key: (r: { value: unknown }) => String(r.value) }),
          ],
        }),
        process,
      });
      await handler(mskEvent([eventRecord('t', 0, 1, 'value-1', { key: b64('key-1') })]), context());
      expect(seen).toEqual([{ key: 'KEY-1', value: 'VALUE-1' }]);
      expect(keyParts).toEqual(['key']);
      expect(valueParts).toEqual(['value']);
    });

    it(`a record without a key has key null, and its key deserializer is never called (${how})`, async () => {
      const keyParts: string[] = [];
      const { seen, process } = collect();
      const handler = createKafkaHandler({
        key: asyncUpper(keyParts),
        value: string(),
        logger: silentLogger,
        ...(idempotent && {
          use: [
            idempotency({ store: memoryIdempotencyStore(), key: (r: { value: unknown }) => String(r.value) }),
          ],
        }),
        process,
      });
      await handler(
        mskEvent([
          eventRecord('t', 0, 1, 'a', { key: null }),
          eventRecord('t', 0, 2, 'b', { key: undefined }),
        ]),
        context(),
      );
      expect(seen).toEqual([
        { key: null, value: 'a' },
        { key: null, value: 'b' },
      ]);
      expect(keyParts).toEqual([]);
    });

    it(`a built-in key deserializer's key is decoded on first read (${how})`, async () => {
      const { seen, process } = collect();
      const handler = createKafkaHandler({
        key: json<{ k: number }>(),
        value: string(),
        logger: silentLogger,
        ...(idempotent && {
          use: [
            idempotency({ store: memoryIdempotencyStore(), key: (r: { value: unknown }) => String(r.value) }),
          ],
        }),
        process,
      });
      await handler(mskEvent([eventRecord('t', 0, 1, 'a', { key: b64('{"k":1}') })]), context());
      expect(seen).toEqual([{ key: { k: 1 }, value: 'a' }]);
    });
  }

  it('a key that a built-in deserializer cannot decode fails its record when process() reads it, as a decode error of the key', async () => {
    const { errors, use } = collect();
    const handler = createKafkaHandler({
      key: json(),
      value: string(),
      onError: 'log',
      allFailedAlike: 'apply-policy',
      logger: silentLogger,
      use,
      process(record) {
        void record.key;
      },
    });
    await handler(mskEvent([eventRecord('t', 0, 7, 'a', { key: b64('{nope') })]), context());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RecordDecodeError);
    expect(errors[0]).toMatchObject({ part: 'key', record: { topic: 't', partition: 0, offset: 7 } });
    expect(errors[0]!.message).toMatch(/^cannot decode key of t-0@7: /);
  });

  it('a RecordDecodeError a deserializer throws reaches the user as it is, not wrapped again', async () => {
    const { errors, use } = collect();
    const own = new RecordDecodeError(
      { topic: 't', partition: 0, offset: 1 },
      'value',
      'unknown schema id 7',
    );
    const handler = createKafkaHandler({
      value: {
        deserialize: () => {
          throw own;
        },
      },
      onError: 'log',
      allFailedAlike: 'apply-policy',
      logger: silentLogger,
      use,
      process() {},
    });
    await handler(mskEvent([eventRecord('t', 0, 1, 'a')]), context());
    expect(errors).toEqual([own]);
  });

  it("a value deserializer's failure is a decode error of the value, at stage decode", async () => {
    const producer = new ScriptedProducer();
    const parts: string[] = [];
    const { errors, use } = collect();
    const handler = createKafkaHandler({
      value: {
        deserialize: (_bytes, context) => {
          parts.push(context.part);
          throw new Error('bad magic byte');
        },
      },
      producer,
      onError: 'dead-letter',
      deadLetterTopic: 'dlq',
      allFailedAlike: 'apply-policy',
      logger: silentLogger,
      use,
      process() {},
    });
    await handler(mskEvent([eventRecord('t', 0, 1, 'a')]), context());
    expect(parts).toEqual(['value']);
    expect(errors[0]).toMatchObject({
      part: 'value',
      message: 'cannot decode value of t-0@1: bad magic byte',
    });
    const header = producer.delivered[0]!.headers!.find(([name]) => name === 'kafka-lambda.dlq.reason');
    expect(header?.[1].toString()).toBe('decode');
  });

  it('a value that decodes to null (JSON null) is a value like any other', async () => {
    const { seen, process } = collect();
    const handler = createKafkaHandler({ value: json(), logger: silentLogger, process });
    await handler(mskEvent([eventRecord('t', 0, 1, 'null')]), context());
    expect(seen).toEqual([{ key: 'key-1', value: null }]);
  });
});

describe('tombstones decoded ahead (idempotency with a business key)', () => {
  it("tombstones: 'process' keeps the value null and keys the record by the business key", async () => {
    const store = memoryIdempotencyStore();
    const { seen, process } = collect();
    const handler = createKafkaHandler({
      key: string(),
      value: json(),
      tombstones: 'process',
      logger: silentLogger,
      use: [idempotency({ store, key: (r: { key: unknown }) => `k=${r.key}` })],
      process,
    });
    await handler(mskEvent([eventRecord('t', 0, 1, null, { key: b64('acct-9') })]), context());
    expect(seen).toEqual([{ key: 'acct-9', value: null }]);
    expect(store.entry('test-fn#k=acct-9')?.state).toBe('completed');
  });
});

describe('what process() returns', () => {
  it('null or a primitive is a synchronous success', async () => {
    const results: unknown[] = [null, 0, 'done', false];
    let i = 0;
    const summaries: Array<Record<string, number>> = [];
    const handler = createKafkaHandler({
      value: string(),
      logger: silentLogger,
      use: [hooks({ onBatchEnd: (summary) => void summaries.push({ ...summary }) })],
      process: (() => results[i++]) as unknown as () => void,
    });
    await handler(mskEvent(results.map((_, offset) => eventRecord('t', 0, offset, 'a'))), context());
    expect(summaries[0]).toMatchObject({ records: 4, succeeded: 4, failed: 0 });
  });

  it('a thenable that is a function (a callable query builder) is awaited: its rejection fails the record', async () => {
    const { errors, use } = collect();
    const ran: number[] = [];
    const handler = createKafkaHandler({
      value: string(),
      onError: 'log',
      logger: silentLogger,
      use,
      process: ((record: KafkaRecord<unknown, string>) => {
        const query = () => undefined;
        // biome-ignore lint/suspicious/noThenProperty: a callable thenable is the point of the test
        query.then = (resolve: (v: unknown) => void, reject: (e: unknown) => void) =>
          setTimeout(() => {
            ran.push(record.offset);
            if (record.offset === 2) reject(new Error('insert refused'));
            else resolve(1);
          }, 1);
        return query;
      }) as unknown as () => void,
    });
    await handler(mskEvent([eventRecord('t', 0, 1, 'a'), eventRecord('t', 0, 2, 'b')]), context());
    expect(ran).toEqual([1, 2]);
    expect(errors.map((e) => e.message)).toEqual(['insert refused']);
  });
});

describe('what a record produces', () => {
  it('an async serializer: the message is sent with the bytes it resolved to', async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: string(),
      producer,
      logger: silentLogger,
      process(record, { produce }) {
        produce({
          topic: 'out',
          value: record.value,
          serializer: { serialize: async (v: string) => Buffer.from(`<${v}>`) },
        });
      },
    });
    await handler(mskEvent([eventRecord('t', 0, 1, 'a')]), context());
    expect(producer.delivered.map((m) => m.value?.toString())).toEqual(['<a>']);
  });

  it("an observer's produce() sees the async serializer's message, and what it returns is sent", async () => {
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: string(),
      producer,
      logger: silentLogger,
      use: [
        {
          name: 'observer',
          startBatch: () => ({
            produce: (message) => ({
              ...message,
              headers: [...(message.headers ?? []), ['seen', Buffer.from(message.value!)] as const],
            }),
          }),
        },
      ],
      process(record, { produce }) {
        produce({
          topic: 'out',
          value: record.value,
          serializer: { serialize: async (v: string) => Buffer.from(v.toUpperCase()) },
        });
      },
    });
    await handler(mskEvent([eventRecord('t', 0, 1, 'a')]), context());
    const [message] = producer.delivered;
    expect(message?.value?.toString()).toBe('A');
    expect(message?.headers?.map(([name, value]) => [name, value.toString()])).toEqual([['seen', 'A']]);
  });

  it("an observer's produce() runs inside its runRecord scope, also after an async process()", async () => {
    const scope = new AsyncLocalStorage<number>();
    const seenIn: Array<number | undefined> = [];
    const producer = new ScriptedProducer();
    const handler = createKafkaHandler({
      value: string(),
      producer,
      logger: silentLogger,
      use: [
        {
          name: 'observer',
          startBatch: () => ({
            runRecord: (record, run) => scope.run(record.offset, run),
            produce: (message) => {
              seenIn.push(scope.getStore());
              return message;
            },
          }),
        },
      ],
      async process(record, { produce }) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        produce({ topic: 'out', value: record.value });
      },
    });
    await handler(mskEvent([eventRecord('t', 0, 1, 'a'), eventRecord('t', 0, 2, 'b')]), context());
    expect(seenIn).toEqual([1, 2]);
  });

  it('a serializer that throws fails the record at stage produce, with nothing sent', async () => {
    const producer = new ScriptedProducer();
    const logger = captureLogger();
    const handler = createKafkaHandler({
      value: string(),
      producer,
      onError: 'log',
      logger,
      process(record, { produce }) {
        produce({
          topic: 'out',
          value: record.value,
          serializer: {
            serialize: () => {
              throw new Error('schema mismatch');
            },
          },
        });
      },
    });
    await handler(mskEvent([eventRecord('t', 0, 1, 'a')]), context());
    expect(producer.enqueued).toEqual([]);
    expect(logger.at('error')[0]?.fields).toMatchObject({
      topic: 't',
      partition: 0,
      offset: 1,
      stage: 'produce',
    });
  });
});
