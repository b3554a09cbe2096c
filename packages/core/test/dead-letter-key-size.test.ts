// Issue 23, suspected: "a dead letter with a near-1 MB key does not fit". Confirmed: deadLetterMessage
// fits a dead letter to message.max.bytes by truncating the value and dropping the original headers,
// never the key, so a record whose key alone nearly fills the limit gets a dead letter the producer
// refuses (MSG_SIZE_TOO_LARGE). Now the error message is shortened first, then the key is cut and
// `kafka-lambda.dlq.key.truncated` says its original length.
import { describe, expect, it } from 'vitest';
import { deadLetterMessage } from '../src/delivery/dead-letter.js';
import { KafkaRecord } from '../src/record/record.js';

/** What a message takes of `message.max.bytes`: key, value and headers (framing is the rest). */
function sizeOf(message: ReturnType<typeof deadLetterMessage>): number {
  const bytes = (b: unknown) =>
    Buffer.isBuffer(b) ? b.length : typeof b === 'string' ? Buffer.byteLength(b) : 0;
  let total = bytes(message.key) + bytes(message.value);
  for (const [name, value] of message.headers ?? []) total += Buffer.byteLength(name) + bytes(value);
  return total;
}

const record = (keyBytes: number, valueBytes: number) =>
  new KafkaRecord({
    topic: 'documents',
    partition: 0,
    offset: 1,
    timestamp: 0,
    timestampType: 'CREATE_TIME',
    key: Buffer.alloc(keyBytes, 'k').toString('base64'),
    value: Buffer.alloc(valueBytes, 'v').toString('base64'),
  });

describe('a dead letter fits message.max.bytes', () => {
  it('with a large value (the value is truncated)', () => {
    const message = deadLetterMessage(
      'documents.dlq',
      record(10, 2_000_000) as never,
      new Error('x'),
      'process',
      'fn',
    );
    expect(sizeOf(message)).toBeLessThan(1_000_000 - 1_024);
  });

  it('with a key of 999,000 bytes (the error message is shortened, then the key cut)', () => {
    const message = deadLetterMessage(
      'documents.dlq',
      record(999_000, 10) as never,
      new Error('e'.repeat(4_000)),
      'process',
      'fn',
    );
    expect(sizeOf(message)).toBeLessThan(1_000_000 - 1_024);
    const headers = new Map(message.headers!.map(([name, value]) => [name, value.toString()]));
    expect(headers.get('kafka-lambda.dlq.error.message')).toHaveLength(256);
    // With the framing kept free, 999,000 bytes of key still do not fit: the key is cut, its length said.
    expect(headers.get('kafka-lambda.dlq.key.truncated')).toBe('999000');
    expect((message.key as Buffer).length).toBeGreaterThan(990_000);
  });

  it('with a key over the limit on its own (the key is cut, its length said)', () => {
    const message = deadLetterMessage(
      'documents.dlq',
      record(1_200_000, 10) as never,
      new Error('x'),
      'process',
      'fn',
    );
    expect(sizeOf(message)).toBeLessThan(1_000_000 - 1_024);
    const headers = new Map(message.headers!.map(([name, value]) => [name, value.toString()]));
    expect(headers.get('kafka-lambda.dlq.key.truncated')).toBe('1200000');
    expect((message.key as Buffer).subarray(0, 10).toString()).toBe('kkkkkkkkkk');
  });
});
