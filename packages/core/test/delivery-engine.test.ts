// The delivery engine is a plugin the producer carries (`deliveryEngine`): the handler never imports
// it. A producer without it is refused at load, naming the line that fixes it; a producer of your
// own that carries it produces, dead-letters and waits once like kafkaProducer(); an event adapter
// brought by a middleware is checked where `use` is.
import {
  ConfigError,
  createKafkaHandler,
  DEAD_LETTER_HEADERS,
  json,
  type KafkaProducer,
} from '@kafka-lambda/core';
import { type DeliveryReport, deliveryEngine, type OutgoingMessage } from '@kafka-lambda/core/producer';
import { describe, expect, it } from 'vitest';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';

/** A producer of one's own: a plain object over a list, delivering at flush. */
function listProducer(withEngine: boolean) {
  const sent: OutgoingMessage[] = [];
  const pending: Array<() => void> = [];
  const producer = {
    ...(withEngine ? { deliveryEngine } : {}),
    send(message: OutgoingMessage): Promise<DeliveryReport> {
      return new Promise((resolve) =>
        pending.push(() => {
          sent.push(message);
          resolve({ topic: message.topic, partition: 0, offset: sent.length - 1 });
        }),
      );
    },
    async flush() {
      for (const deliver of pending.splice(0)) deliver();
    },
    async close() {},
  } as KafkaProducer;
  return { producer, sent };
}

describe('the delivery engine comes with the producer', () => {
  it('a producer without it is refused at load, naming deliveryEngine', () => {
    const { producer } = listProducer(false);
    expect(() => createKafkaHandler({ producer, process() {} })).toThrow(ConfigError);
    expect(() => createKafkaHandler({ producer, process() {} })).toThrow(
      /carries deliveryEngine from '@kafka-lambda\/core\/producer'/,
    );
  });

  it('an engine of another kind is refused too', () => {
    const { producer } = listProducer(false);
    const forged = { ...producer, deliveryEngine: { kind: 'something-else' } } as unknown as KafkaProducer;
    expect(() => createKafkaHandler({ producer: forged, process() {} })).toThrow(
      /carries no delivery engine/,
    );
  });

  it('a producer of your own that carries it: outputs and dead letters delivered before the handler returns', async () => {
    const { producer, sent } = listProducer(true);
    const handler = createKafkaHandler({
      value: json<{ id: number; fail?: boolean }>(),
      producer,
      onError: { policy: 'dead-letter', topic: 'orders.dlq' },
      logger: silentLogger,
      process(record, { produce }) {
        if (record.value.fail) throw new Error(`order ${record.value.id} is broken`);
        produce({ topic: 'settled', key: record.key, value: `settled-${record.value.id}` });
      },
    });
    await handler(
      mskEvent([
        eventRecord('orders', 0, 1, '{"id":1}'),
        eventRecord('orders', 0, 2, '{"id":2,"fail":true}'),
        eventRecord('orders', 0, 3, '{"id":3}'),
      ]),
      context(),
    );
    expect(sent.filter((m) => m.topic === 'settled').map((m) => m.value?.toString())).toEqual([
      'settled-1',
      'settled-3',
    ]);
    const [letter] = sent.filter((m) => m.topic === 'orders.dlq');
    const header = (name: string) => letter?.headers?.find(([n]) => n === name)?.[1].toString();
    expect(header(DEAD_LETTER_HEADERS.sourceOffset)).toBe('2');
    expect(header(DEAD_LETTER_HEADERS.errorMessage)).toBe('order 2 is broken');
  });

  it('without a producer, produce() fails its record with a ConfigError (the engine is not there to build it)', async () => {
    const errors: unknown[] = [];
    const handler = createKafkaHandler({
      onError: 'log',
      logger: { ...silentLogger, error: (_message, fields) => errors.push(fields?.error) },
      logSummary: false,
      process(_record, { produce }) {
        produce({ topic: 'out', value: 'x' });
      },
    });
    await expect(handler(mskEvent([eventRecord('orders', 0, 1, 'v')]), context())).rejects.toBeInstanceOf(
      ConfigError,
    );
  });
});

describe('an event adapter is a middleware part, checked where `use` is', () => {
  it('an adapter missing a part is refused at load, naming it', () => {
    const events = { name: 'x', eventSource: 'x', accepts: () => false, result: () => undefined };
    expect(() =>
      createKafkaHandler({ use: [{ name: 'half-adapter', events } as never], process() {} }),
    ).toThrow("use[0] ('half-adapter'): events.parse must be a function");
  });

  it('the first adapter that accepts an event reads it; its result is what the invocation returns', async () => {
    const seen: number[] = [];
    const handler = createKafkaHandler({
      logger: silentLogger,
      use: [
        {
          name: 'envelope',
          events: {
            name: 'the envelope',
            eventSource: 'test:envelope',
            accepts: (event) => typeof event === 'object' && event !== null && 'inner' in event,
            parse: () => [{ topic: 'orders', partition: 0, records: [eventRecord('orders', 0, 7, 'v')] }],
            result: (result) => ({ wrapped: result ?? null }),
          },
        },
      ],
      process(record) {
        seen.push(record.offset);
      },
    });
    await expect(handler({ inner: true }, context())).resolves.toEqual({ wrapped: null });
    expect(seen).toEqual([7]);
  });

  it('an adapter whose accepts() throws rejects the invocation before any record ran, logged once', async () => {
    const errors: string[] = [];
    const ran: number[] = [];
    const handler = createKafkaHandler({
      logger: { ...silentLogger, error: (message) => errors.push(message) },
      use: [
        {
          name: 'broken',
          events: {
            name: 'the broken shape',
            eventSource: 'test:broken',
            accepts: () => {
              throw new Error('accepts blew up');
            },
            parse: () => [],
            result: () => undefined,
          },
        },
      ],
      process(record) {
        ran.push(record.offset);
      },
    });
    await expect(handler(mskEvent([eventRecord('orders', 0, 1, 'v')]), context())).rejects.toThrow(
      'accepts blew up',
    );
    expect(errors).toEqual(['kafka batch rejected before any record ran']);
    expect(ran).toEqual([]);
  });
});
