import { DEAD_LETTER_HEADERS } from '../contract/dead-letter-headers.js';
import type { FailureStage } from '../contract/fates.js';
import type { LambdaContext } from '../contract/lambda.js';
import type { OutgoingMessage } from '../contract/producer.js';
import type { KafkaEventRecord } from '../event/event.js';
import type { KafkaRecord } from '../record/record.js';
import { DeadLetterError, messageOf } from '../shared/errors.js';

/** librdkafka's default `message.max.bytes`, used while the producer has not said its own. */
const DEFAULT_MAX_MESSAGE_BYTES = 1_000_000;
/** Room for the record's framing in the request (record batch header, varints, attributes). */
const FRAMING_BYTES = 1_024;
/** The error message kept when the key nearly fills the dead letter: enough to say what failed. */
const SHORT_ERROR_MESSAGE = 256;
/** Kept free for the truncation headers themselves. */
const TRUNCATION_HEADER_BYTES = 64;

/**
 * The dead letter of a failed record under the handler's settings: the topic `deadLetterTopic` names
 * (or returns) for it, and its message fitted to the producer's `message.max.bytes`.
 *
 * @example
 * ```ts
 * const { topic, message } = deadLetterOf(settings, { record, error, stage: 'process' }, context);
 * ```
 */
export function deadLetterOf(
  settings: {
    readonly deadLetterTopic:
      | string
      | ((record: KafkaRecord<unknown, unknown>, error: Error) => string)
      | undefined;
    readonly producer?: { readonly maxMessageBytes?: number | undefined } | undefined;
  },
  { record, error, stage }: { record: KafkaRecord<unknown, unknown>; error: Error; stage: FailureStage },
  context: LambdaContext | undefined,
): { topic: string; message: OutgoingMessage } {
  const choice = settings.deadLetterTopic!;
  const topic = typeof choice === 'function' ? chosenTopic(choice, record, error) : choice;
  const maxBytes = settings.producer?.maxMessageBytes;
  return { topic, message: deadLetterMessage(topic, record, error, stage, context?.functionName, maxBytes) };
}

/** The topic a `deadLetterTopic` function names; what it throws or returns instead fails with the SDK's error. */
function chosenTopic(
  choose: (record: KafkaRecord<unknown, unknown>, error: Error) => string,
  record: KafkaRecord<unknown, unknown>,
  error: Error,
): string {
  let topic: unknown;
  try {
    topic = choose(record, error);
  } catch (thrown) {
    throw new DeadLetterError(record, `deadLetterTopic threw: ${messageOf(thrown)}`, { cause: thrown });
  }
  if (typeof topic !== 'string' || topic === '')
    throw new DeadLetterError(record, `deadLetterTopic returned ${describeValue(topic)}, not a topic name`);
  return topic;
}

function describeValue(value: unknown): string {
  if (value === '') return 'an empty string';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * Builds the dead letter of a failed record: its original key, value and headers plus why it failed,
 * fitted to `maxBytes` (a dead letter too large to deliver would fail the invocation on every retry).
 */
export function deadLetterMessage(
  topic: string,
  record: KafkaRecord<unknown, unknown>,
  error: Error,
  stage: FailureStage,
  functionName: string | undefined,
  maxBytes = DEFAULT_MAX_MESSAGE_BYTES,
): OutgoingMessage {
  const raw = record.toEventRecord();
  let undecodable = false;
  const original = (text: string | null | undefined, decoded: () => Buffer | null): Buffer | null => {
    if (text === null || text === undefined) return null;
    try {
      return decoded();
    } catch {
      undecodable = true;
      return Buffer.from(text, 'utf8');
    }
  };
  let key = original(raw.key, () => record.rawKey);
  let value = original(raw.value, () => record.rawValue);
  let kept = originalHeaders(raw, record);
  const headers: Array<[string, Buffer]> = [];
  const add = (name: string, value: string) => headers.push([name, Buffer.from(value, 'utf8')]);
  add(DEAD_LETTER_HEADERS.reason, stage);
  add(DEAD_LETTER_HEADERS.errorClass, error.name);
  add(DEAD_LETTER_HEADERS.errorMessage, error.message.slice(0, 4_000));
  const errorMessageAt = headers.length - 1;
  add(DEAD_LETTER_HEADERS.sourceTopic, record.topic);
  add(DEAD_LETTER_HEADERS.sourcePartition, String(record.partition));
  add(DEAD_LETTER_HEADERS.sourceOffset, String(record.offset));
  add(DEAD_LETTER_HEADERS.sourceTimestamp, String(record.timestamp));
  add(DEAD_LETTER_HEADERS.failedAt, new Date().toISOString());
  if (functionName) add(DEAD_LETTER_HEADERS.functionName, functionName);
  if (undecodable) add(DEAD_LETTER_HEADERS.rawEncoding, 'base64-text');

  // A key that leaves no room for the headers: the error message is shortened first, then the key cut.
  const forKey = maxBytes - FRAMING_BYTES - headerBytes(headers) - 2 * TRUNCATION_HEADER_BYTES;
  if (key !== null && key.length > forKey) {
    const [name, message] = headers[errorMessageAt]!;
    if (message.length > SHORT_ERROR_MESSAGE) {
      headers[errorMessageAt] = [name, Buffer.from(error.message.slice(0, SHORT_ERROR_MESSAGE), 'utf8')];
    }
    const room = maxBytes - FRAMING_BYTES - headerBytes(headers) - 2 * TRUNCATION_HEADER_BYTES;
    if (key.length > room) {
      add(DEAD_LETTER_HEADERS.keyTruncated, String(key.length));
      key = key.subarray(0, Math.max(0, room));
    }
  }
  const budget = maxBytes - FRAMING_BYTES - sizeOf(key) - headerBytes(headers);
  if (headerBytes(kept) > budget) {
    add(DEAD_LETTER_HEADERS.headersOmitted, String(kept.length));
    kept = [];
  }
  const room = budget - headerBytes(kept) - TRUNCATION_HEADER_BYTES;
  if (value !== null && value.length > room) {
    add(DEAD_LETTER_HEADERS.valueTruncated, String(value.length));
    value = value.subarray(0, Math.max(0, room));
  }
  return { topic, key, value, headers: [...kept, ...headers] };
}

function sizeOf(bytes: Buffer | null): number {
  return bytes?.length ?? 0;
}

function headerBytes(headers: ReadonlyArray<readonly [string, Buffer]>): number {
  let total = 0;
  for (const [name, value] of headers) total += Buffer.byteLength(name) + value.length + 8;
  return total;
}

function originalHeaders(
  raw: KafkaEventRecord,
  record: KafkaRecord<unknown, unknown>,
): Array<[string, Buffer]> {
  if (!raw.headers) return [];
  try {
    return record.headers.toArray();
  } catch {
    return [];
  }
}
