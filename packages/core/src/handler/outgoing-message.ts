import type { OutgoingMessage } from '../producer/types.js';
import type { Serializer } from '../serde.js';
import type { ProduceHeaders, RawProduceRequest, SerializedProduceRequest } from './types.js';

type AnyProduceRequest = RawProduceRequest | SerializedProduceRequest<unknown>;

/**
 * Turns a `produce()` request into wire bytes. Synchronous unless the serializer needs I/O (a
 * registry lookup on first use), so the common case allocates no promise.
 */
export function toOutgoingMessage(request: AnyProduceRequest): OutgoingMessage | Promise<OutgoingMessage> {
  const serializer = request.serializer as Serializer<unknown> | undefined;
  // A serializer may add headers (e.g. a schema id), so it gets a list; most raw results have none.
  const headers = request.headers || serializer ? toHeaderList(request.headers) : undefined;
  const key = toBytes(request.key);
  const timestamp = request.timestamp instanceof Date ? request.timestamp.getTime() : request.timestamp;
  const build = (value: Buffer | null): OutgoingMessage => ({
    topic: request.topic,
    partition: request.partition,
    key,
    value,
    headers,
    timestamp,
  });
  if (!serializer || request.value === null) return build(toBytes(request.value as Buffer | string | null));
  const value = serializer.serialize(request.value, {
    topic: request.topic,
    part: 'value',
    headers: headers!,
  });
  return value instanceof Promise ? value.then(build) : build(value);
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
