import type { AnyProduceRequest } from '../contract/process-context.js';
import { InvalidProduceRequestError } from '../shared/errors.js';

/**
 * Checks a `produce()` request where it is made, so that a wrong one fails its record at the call
 * with a typed error instead of failing the whole invocation when it is sent.
 */
export function checkProduceRequest(request: AnyProduceRequest): void {
  if (typeof request !== 'object' || request === null)
    throw new InvalidProduceRequestError('its argument', 'an object');
  const { topic, key, value, serializer, partition, timestamp, headers } = request;
  if (typeof topic !== 'string' || topic === '')
    throw new InvalidProduceRequestError('`topic`', 'a non-empty string');
  if (key !== undefined && key !== null && typeof key !== 'string' && !Buffer.isBuffer(key)) {
    throw new InvalidProduceRequestError('`key`', 'a string, a Buffer or null');
  }
  if (serializer !== undefined) {
    if (typeof serializer?.serialize !== 'function')
      throw new InvalidProduceRequestError('`serializer`', 'an object with a serialize() method');
  } else if (value !== null && typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw new InvalidProduceRequestError('`value`', 'a string, a Buffer or null (or give a `serializer`)');
  }
  if (partition !== undefined && (!Number.isInteger(partition) || partition < 0)) {
    throw new InvalidProduceRequestError('`partition`', 'a non-negative integer');
  }
  if (timestamp !== undefined && !(timestamp instanceof Date) && !Number.isFinite(timestamp)) {
    throw new InvalidProduceRequestError('`timestamp`', 'epoch milliseconds or a Date');
  }
  if (headers !== undefined && (typeof headers !== 'object' || headers === null)) {
    throw new InvalidProduceRequestError('`headers`', 'an object or a list of [name, value] pairs');
  }
}
