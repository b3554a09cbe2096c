import type { KafkaProducer } from '@kafka-lambda/core';
import { FlushTimeoutError } from '@kafka-lambda/core/errors';
import { describe, expect, it } from 'vitest';
import { memoryProducer, ProducerAssertionError, SimulatedDeliveryError } from '../src/index.js';

const msg = (topic: string, value: string, key: string | null = null) => ({
  topic,
  key: key === null ? null : Buffer.from(key),
  value: Buffer.from(value),
});

describe('memoryProducer', () => {
  it('implements KafkaProducer and settles deliveries only at flush', async () => {
    const producer: KafkaProducer & ReturnType<typeof memoryProducer> = memoryProducer();
    let settled = 0;
    const first = producer.send(msg('out', 'a')).then((report) => {
      settled++;
      return report;
    });
    const second = producer.send(msg('out', 'b'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(settled).toBe(0);
    expect(producer.pending).toHaveLength(2);
    expect(producer.messages).toHaveLength(0);
    await producer.flush(1_000);
    expect(await first).toEqual({ topic: 'out', partition: 0, offset: 0 });
    expect(await second).toEqual({ topic: 'out', partition: 0, offset: 1 });
    expect(producer.flushCount).toBe(1);
    expect(producer.flushTimeouts).toEqual([1_000]);
    producer.expectFlushedOnce();
    producer.expectNothingPending();
  });

  it('offers decoded views of what was delivered', async () => {
    const producer = memoryProducer();
    void producer.send({
      ...msg('a', '{"n":1}', 'k1'),
      headers: [
        ['h', Buffer.from('x')],
        ['h', Buffer.from('y')],
      ],
    });
    void producer.send(msg('b', 'text'));
    void producer.send({ topic: 'a', key: null, value: null });
    await producer.flush(100);
    expect(producer.messagesFor('a').map((m) => m.keyText())).toEqual(['k1', null]);
    expect(producer.jsonFor('a')).toEqual([{ n: 1 }, null]);
    expect(producer.textsFor('b')).toEqual(['text']);
    const [first] = producer.messagesFor('a');
    expect(first!.headers.getAll('h').map(String)).toEqual(['x', 'y']);
    expect(first!.flushedBy).toBe(1);
    expect(JSON.parse(JSON.stringify(first))).toMatchObject({
      topic: 'a',
      key: 'k1',
      value: '{"n":1}',
      headers: { h: ['x', 'y'] },
    });
  });

  it('assigns partitions from the key when a topic has several, offsets per partition', async () => {
    const producer = memoryProducer({ partitions: { multi: 4 } });
    for (const key of ['a', 'b', 'c', 'a', 'b', 'c']) void producer.send(msg('multi', key, key));
    void producer.send({ ...msg('multi', 'p3'), partition: 3 });
    void producer.send(msg('single', 'x', 'zz'));
    await producer.flush(100);
    const byKey = new Map<string, number>();
    for (const m of producer.messagesFor('multi').slice(0, 6)) {
      const seen = byKey.get(m.keyText()!);
      if (seen !== undefined) expect(m.partition).toBe(seen);
      byKey.set(m.keyText()!, m.partition);
    }
    expect(producer.messagesFor('multi')[6]!.partition).toBe(3);
    expect(producer.messagesFor('single')[0]!.partition).toBe(0);
  });

  it('fails chosen deliveries: failNext, failWhen, failTopic', async () => {
    const producer = memoryProducer()
      .failNext(1)
      .failWhen((m) => m.value?.toString() === 'bad')
      .failTopic('dead', { times: 1 });
    const results = await Promise.allSettled(
      [msg('out', 'first'), msg('out', 'ok'), msg('out', 'bad'), msg('dead', 'd1'), msg('dead', 'd2')]
        .map((m) => {
          const delivery = producer.send(m);
          return delivery;
        })
        .concat([producer.flush(100).then(() => ({ topic: 'flush', partition: 0, offset: 0 }))]),
    );
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(SimulatedDeliveryError);
    expect(producer.failed.map((m) => m.text())).toEqual(['first', 'bad', 'd1']);
    expect(producer.messages.map((m) => m.text())).toEqual(['ok', 'd2']);
  });

  it('can make flushes time out, leaving messages pending for the next flush', async () => {
    const producer = memoryProducer().timeoutNextFlush();
    const delivery = producer.send(msg('out', 'a'));
    await expect(producer.flush(250)).rejects.toBeInstanceOf(FlushTimeoutError);
    expect(producer.pending).toHaveLength(1);
    await producer.flush(250);
    await expect(delivery).resolves.toMatchObject({ offset: 0 });
    expect(producer.flushCount).toBe(2);
  });

  it('assertion helpers throw typed errors with actual/expected', async () => {
    const producer = memoryProducer();
    expect(() => producer.expectFlushedOnce()).toThrow(ProducerAssertionError);
    void producer.send(msg('out', 'a'));
    try {
      producer.expectNothingPending();
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ actual: 1, expected: 0 });
    }
    await producer.close();
    expect(producer.closeCount).toBe(1);
    producer.expectNothingPending();
    producer.reset();
    expect(producer.sent).toHaveLength(0);
    expect(producer.flushCount).toBe(0);
  });
});
