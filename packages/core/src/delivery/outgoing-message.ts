import type { AnyProduceRequest, ProduceHeaders } from '../contract/process-context.js';
import type { OutgoingMessage } from '../contract/producer.js';
import type { Serializer } from '../serde/serde.js';
import { PendingMessage } from './pending-message.js';

/**
 * Turns a `produce()` request into wire bytes. Synchronous unless the serializer needs I/O (a
 * registry lookup on first use), so the common case allocates no promise. The message is the
 * ledger's own kind ({@link PendingMessage}), so sending it copies nothing.
 */
export function toOutgoingMessage(request: AnyProduceRequest): OutgoingMessage | Promise<OutgoingMessage> {
  const serializer = request.serializer as Serializer<unknown> | undefined;
  // A serializer may add headers (e.g. a schema id), so it gets a list; most raw results have none.
  const headers = request.headers || serializer ? toHeaderList(request.headers) : undefined;
  const key = toBytes(request.key);
  const timestamp = request.timestamp instanceof Date ? request.timestamp.getTime() : request.timestamp;
  const { topic, partition } = request;
  if (!serializer || request.value === null) {
    return new PendingMessage(
      topic,
      partition,
      key,
      toBytes(request.value as Buffer | string | null),
      headers,
      timestamp,
    );
  }
  const value = serializer.serialize(request.value, { topic, part: 'value', headers: headers! });
  return value instanceof Promise
    ? value.then((bytes) => new PendingMessage(topic, partition, key, bytes, headers, timestamp))
    : new PendingMessage(topic, partition, key, value, headers, timestamp);
}

function toBytes(value: Buffer | string | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function toHeaderList(headers: ProduceHeaders | undefined): Array<[string, Buffer]> {
  if (!headers) return [];
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return pairs.map(([name, value]) => [name, typeof value === 'string' ? Buffer.from(value, 'utf8') : value]);
}
