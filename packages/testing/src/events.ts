import type { Serializer } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import type { EsmSchemaMetadata, MessagePart } from '@kafka-lambda/core/serde';
import { InvalidTestInputError } from './errors.js';

/**
 * How a key or value may be given to the builders:
 * - `null`: a tombstone (value) or no key;
 * - a `Buffer` / `Uint8Array`: the bytes as they are;
 * - a `string`: its UTF-8 bytes (not JSON-quoted);
 * - anything else (object, array, number, boolean): its JSON text.
 */
export type Payload = string | Uint8Array | number | boolean | object | null;

/**
 * Headers given as an object (an array value repeats the name) or as name/value pairs (order and
 * repeats kept). String values are UTF-8.
 */
export type HeadersInput =
  | Readonly<Record<string, string | Uint8Array | ReadonlyArray<string | Uint8Array>>>
  | ReadonlyArray<readonly [string, string | Uint8Array]>;

/**
 * One record to put in a fake event. Only `value` is required: topic, partition, offset and timestamp
 * are filled in (offsets increase per partition, timestamps per record).
 *
 * With `keySerializer` / `valueSerializer` the key/value is passed through it (it may add headers, as
 * Confluent header mode does); a serializer that returns a Promise needs {@link encodeRecord} first.
 */
export interface RecordInput<K = unknown, V = unknown> {
  topic?: string;
  partition?: number;
  offset?: number;
  /** Epoch ms or a Date. */
  timestamp?: number | Date;
  timestampType?: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  /** Omitted: the `key` field is absent from the record; null: `key: null`. Both mean "no key". */
  key?: K | null;
  value: V | null;
  keySerializer?: Serializer<K>;
  valueSerializer?: Serializer<V>;
  headers?: HeadersInput;
  keySchemaMetadata?: EsmSchemaMetadata;
  valueSchemaMetadata?: EsmSchemaMetadata;
}

/** Options shared by every builder. */
export interface RecordDefaults {
  /** Topic of records that name none. Default `test-topic`. */
  topic?: string;
  /** Offset of the first record of each partition that names none. Default 100 (so that 0 hides no bug). */
  startOffset?: number;
  /** Timestamp of the first record (Date or epoch ms); later records are 1 ms apart. Default: now minus the count. */
  timestamp?: number | Date;
  /** Default `CREATE_TIME`. */
  timestampType?: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  /** Emit header bytes as Java's signed bytes (-128..127), as AWS does. Default true. */
  signedHeaderBytes?: boolean;
}

/** Options of {@link selfManagedKafkaEvent}. */
export interface SelfManagedKafkaEventOptions extends RecordDefaults {
  /** Default `kafka-1.example.internal:9092,kafka-2.example.internal:9092`. */
  bootstrapServers?: string | readonly string[];
}

/** Options of {@link mskEvent}. The ARN is built from region, account and cluster unless given. */
export interface MskEventOptions extends SelfManagedKafkaEventOptions {
  eventSourceArn?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Default `123456789012`. */
  accountId?: string;
  /** Default `demo-cluster`. */
  clusterName?: string;
}

/**
 * A record as the builders make it: `timestampType` one of the two values AWS sends, headers as
 * mutable byte arrays (the shape of `@types/aws-lambda`'s `MSKRecord`). `key` may be absent or null
 * and `value` null (a tombstone), as on AWS.
 */
export interface FakeKafkaRecord extends KafkaEventRecord {
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  headers: Array<Record<string, number[]>>;
}

/**
 * A record built from an input with a key and a non-null value: `key` and `value` are base64 strings,
 * so an event of these is also an `@types/aws-lambda` `MSKEvent` / `SelfManagedKafkaEvent`.
 */
export interface KeyedFakeKafkaRecord extends FakeKafkaRecord {
  key: string;
  value: string;
}

/**
 * An Amazon MSK event (`aws:kafka`) as Lambda delivers it. When every record given to {@link mskEvent}
 * has a key and a non-null value, its records are {@link KeyedFakeKafkaRecord}s and the event is
 * assignable to `@types/aws-lambda`'s `MSKEvent` (whose records claim that key and value are always
 * strings, which tombstones and keyless records contradict).
 */
export interface MskEvent<R extends FakeKafkaRecord = FakeKafkaRecord> extends KafkaEvent {
  eventSource: 'aws:kafka';
  eventSourceArn: string;
  bootstrapServers: string;
  records: Record<string, R[]>;
}

/** A self-managed Kafka event (`SelfManagedKafka`, no ARN) as Lambda delivers it; see {@link MskEvent}. */
export interface SelfManagedKafkaEvent<R extends FakeKafkaRecord = FakeKafkaRecord> extends KafkaEvent {
  eventSource: 'SelfManagedKafka';
  bootstrapServers: string;
  records: Record<string, R[]>;
}

/** An input with a key and a value that are not null: its record has base64 strings for both. */
export type KeyedRecordInput<K, V> = RecordInput<K, V> & { key: NonNullable<K>; value: NonNullable<V> };

const DEFAULT_TOPIC = 'test-topic';
const DEFAULT_START_OFFSET = 100;
const CLUSTER_UUID = '6b4e3a1c-2f0d-4c8e-9a57-1d2b3c4d5e6f-2';

/**
 * Builds an Amazon MSK event exactly as the ESM delivers it: records grouped by `<topic>-<partition>`,
 * key and value in base64, headers as byte arrays, `eventSourceArn` and `bootstrapServers` filled in.
 *
 * @example
 * ```ts
 * import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
 *
 * const event = mskEvent(
 *   [
 *     { key: 'AAPL', value: { SYMBOL: 'AAPL', QUANTITY: 10 }, headers: { 'trace-id': 'abc' } },
 *     { key: 'MSFT', value: null }, // a tombstone
 *     { partition: 1, value: 'plain text' },
 *   ],
 *   { topic: 'user_trades' },
 * );
 * await handler(event, lambdaContext());
 * ```
 */
export function mskEvent<K, V>(
  records: ReadonlyArray<KeyedRecordInput<K, V>>,
  options?: MskEventOptions,
): MskEvent<KeyedFakeKafkaRecord>;
export function mskEvent(records: ReadonlyArray<RecordInput>, options?: MskEventOptions): MskEvent;
export function mskEvent(records: ReadonlyArray<RecordInput>, options: MskEventOptions = {}): MskEvent {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const cluster = options.clusterName ?? 'demo-cluster';
  const bootstrapServers =
    options.bootstrapServers ??
    [1, 2, 3].map((n) => `b-${n}.${cluster}.abc123.c2.kafka.${region}.amazonaws.com:9098`).join(',');
  return {
    eventSource: 'aws:kafka',
    eventSourceArn:
      options.eventSourceArn ?? `arn:aws:kafka:${region}:${accountId}:cluster/${cluster}/${CLUSTER_UUID}`,
    bootstrapServers: joinServers(bootstrapServers),
    records: groupRecords(records, options),
  };
}

/**
 * Builds a self-managed Kafka event (also what Confluent Cloud sources deliver): like {@link mskEvent}
 * but `eventSource: "SelfManagedKafka"` and no `eventSourceArn`.
 *
 * @example
 * ```ts
 * import { selfManagedKafkaEvent } from '@kafka-lambda/testing';
 *
 * const event = selfManagedKafkaEvent([{ value: { id: 1 } }, { value: { id: 2 } }], {
 *   topic: 'orders',
 *   bootstrapServers: ['pkc-123.us-east-1.aws.confluent.cloud:9092'],
 * });
 * console.log(Object.keys(event.records)); // ['orders-0']
 * ```
 */
export function selfManagedKafkaEvent<K, V>(
  records: ReadonlyArray<KeyedRecordInput<K, V>>,
  options?: SelfManagedKafkaEventOptions,
): SelfManagedKafkaEvent<KeyedFakeKafkaRecord>;
export function selfManagedKafkaEvent(
  records: ReadonlyArray<RecordInput>,
  options?: SelfManagedKafkaEventOptions,
): SelfManagedKafkaEvent;
export function selfManagedKafkaEvent(
  records: ReadonlyArray<RecordInput>,
  options: SelfManagedKafkaEventOptions = {},
): SelfManagedKafkaEvent {
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: joinServers(
      options.bootstrapServers ?? 'kafka-1.example.internal:9092,kafka-2.example.internal:9092',
    ),
    records: groupRecords(records, options),
  };
}

/**
 * Builds one record of the ESM's shape (base64 key/value, byte-array headers). Use it for hand-made
 * events or to call code that takes a single `KafkaEventRecord`.
 *
 * @example
 * ```ts
 * import { KafkaRecord } from '@kafka-lambda/core';
 * import { kafkaRecord } from '@kafka-lambda/testing';
 *
 * const raw = kafkaRecord({ topic: 'orders', partition: 2, offset: 7, key: 'k1', value: { id: 1 } });
 * console.log(new KafkaRecord(raw).rawValue?.toString()); // {"id":1}
 * ```
 */
export function kafkaRecord<K = unknown, V = unknown>(
  input: RecordInput<K, V>,
  options: RecordDefaults = {},
): FakeKafkaRecord {
  const offset = input.offset ?? options.startOffset ?? DEFAULT_START_OFFSET;
  const timestamp = input.timestamp ?? options.timestamp ?? Date.now();
  return buildRecord(
    input as RecordInput,
    'record',
    offset,
    toEpochMs(timestamp, 'record.timestamp'),
    options,
  );
}

/**
 * Runs a record's serializers (which may be async, e.g. a Schema Registry serde registering its schema)
 * and returns the same record with key and value as bytes and the serializers' headers added, ready for
 * {@link mskEvent}, {@link selfManagedKafkaEvent} or {@link kafkaRecord}.
 *
 * @example
 * ```ts
 * import { avro } from '@kafka-lambda/serdes';
 * import { encodeRecord, mskEvent } from '@kafka-lambda/testing';
 * import { memorySchemaRegistry } from '@kafka-lambda/testing/registry';
 *
 * const registry = memorySchemaRegistry();
 * const record = await encodeRecord({ topic: 'trades', value: { symbol: 'AAPL' }, valueSerializer: avro(registry, { schema }) });
 * const event = mskEvent([record]);
 * ```
 */
export async function encodeRecord<K = unknown, V = unknown>(
  input: RecordInput<K, V>,
  options: Pick<RecordDefaults, 'topic'> = {},
): Promise<RecordInput<Buffer, Buffer>> {
  const topic = input.topic ?? options.topic ?? DEFAULT_TOPIC;
  const headers = headerPairs(input.headers, 'record.headers');
  const key =
    input.key === undefined
      ? undefined
      : await encodePayload(input.key, input.keySerializer, topic, 'key', headers, 'record.key', true);
  const value = await encodePayload(
    input.value,
    input.valueSerializer,
    topic,
    'value',
    headers,
    'record.value',
    true,
  );
  const { keySerializer: _k, valueSerializer: _v, ...rest } = input;
  return { ...rest, topic, key, value, headers };
}

function groupRecords(
  inputs: ReadonlyArray<RecordInput>,
  options: RecordDefaults,
): Record<string, FakeKafkaRecord[]> {
  if (!Array.isArray(inputs)) throw new InvalidTestInputError('records', 'an array of records');
  const startOffset = options.startOffset ?? DEFAULT_START_OFFSET;
  if (!isNonNegativeInteger(startOffset))
    throw new InvalidTestInputError('startOffset', 'a non-negative integer');
  const firstTimestamp = toEpochMs(options.timestamp ?? Date.now() - inputs.length, 'timestamp');
  const groups: Record<string, FakeKafkaRecord[]> = {};
  const nextOffset = new Map<string, number>();
  inputs.forEach((input, index) => {
    const path = `records[${index}]`;
    if (typeof input !== 'object' || input === null) throw new InvalidTestInputError(path, 'a record object');
    const topic = input.topic ?? options.topic ?? DEFAULT_TOPIC;
    const partition = input.partition ?? 0;
    if (typeof topic !== 'string' || topic === '')
      throw new InvalidTestInputError(`${path}.topic`, 'a non-empty string');
    if (!isNonNegativeInteger(partition))
      throw new InvalidTestInputError(`${path}.partition`, 'a non-negative integer');
    const group = `${topic}-${partition}`;
    const expected = nextOffset.get(group) ?? startOffset;
    const offset = input.offset ?? expected;
    if (!isNonNegativeInteger(offset))
      throw new InvalidTestInputError(`${path}.offset`, 'a non-negative integer');
    // The ESM never delivers a partition out of order; a fixture that does would test nothing real.
    if (nextOffset.has(group) && offset < expected) {
      throw new InvalidTestInputError(
        `${path}.offset`,
        `an offset above ${expected - 1}, the previous one of ${group}`,
      );
    }
    nextOffset.set(group, offset + 1);
    const timestamp =
      input.timestamp === undefined
        ? firstTimestamp + index
        : toEpochMs(input.timestamp, `${path}.timestamp`);
    const record = buildRecord({ ...input, topic, partition }, path, offset, timestamp, options);
    (groups[group] ??= []).push(record);
  });
  return groups;
}

function buildRecord(
  input: RecordInput,
  path: string,
  offset: number,
  timestamp: number,
  options: RecordDefaults,
): FakeKafkaRecord {
  if (typeof input !== 'object' || input === null) throw new InvalidTestInputError(path, 'a record object');
  if (!('value' in input) || input.value === undefined) {
    throw new InvalidTestInputError(`${path}.value`, 'a value, or null for a tombstone');
  }
  const topic = input.topic ?? options.topic ?? DEFAULT_TOPIC;
  const partition = input.partition ?? 0;
  if (!isNonNegativeInteger(offset))
    throw new InvalidTestInputError(`${path}.offset`, 'a non-negative integer');
  const headers = headerPairs(input.headers, `${path}.headers`);
  const key =
    input.key === undefined
      ? undefined
      : syncPayload(
          encodePayload(input.key, input.keySerializer, topic, 'key', headers, `${path}.key`, false),
        );
  const value = syncPayload(
    encodePayload(input.value, input.valueSerializer, topic, 'value', headers, `${path}.value`, false),
  );
  const signed = options.signedHeaderBytes ?? true;
  const record: FakeKafkaRecord = {
    topic,
    partition,
    offset,
    timestamp,
    timestampType: input.timestampType ?? options.timestampType ?? 'CREATE_TIME',
    ...(key === undefined ? {} : { key: key === null ? null : key.toString('base64') }),
    value: value === null ? null : value.toString('base64'),
    headers: headers.map(([name, bytes]) => ({ [name]: toByteArray(bytes, signed) })),
  };
  if (input.keySchemaMetadata) record.keySchemaMetadata = input.keySchemaMetadata;
  if (input.valueSchemaMetadata) record.valueSchemaMetadata = input.valueSchemaMetadata;
  return record;
}

/**
 * Header bytes as AWS sends them: Java bytes are signed, so 0xff arrives as -1.
 *
 * @example
 * ```ts
 * import { toByteArray } from '@kafka-lambda/testing';
 *
 * console.log(toByteArray(Buffer.from('é'), true)); // [-61, -87]
 * console.log(toByteArray(Buffer.from('é'), false)); // [195, 169]
 * ```
 */
export function toByteArray(bytes: Uint8Array, signed: boolean): number[] {
  const out = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    out[i] = signed && byte > 127 ? byte - 256 : byte;
  }
  return out;
}

type Encoded = Buffer | null | Promise<Buffer | null>;

function encodePayload(
  payload: unknown,
  serializer: Serializer<unknown> | undefined,
  topic: string,
  part: MessagePart,
  headers: Array<[string, Buffer]>,
  path: string,
  allowAsync: boolean,
): Encoded {
  if (payload === null) return null;
  if (serializer) {
    if (typeof serializer.serialize !== 'function')
      throw new InvalidTestInputError(`${path}Serializer`, 'a Serializer');
    const bytes = serializer.serialize(payload, { topic, part, headers });
    if (bytes instanceof Promise) {
      if (!allowAsync) {
        throw new InvalidTestInputError(
          path,
          'a serializer that returns bytes synchronously: for an async one (Schema Registry) use `await encodeRecord(record)` first',
        );
      }
      return bytes.then((ready) => toBuffer(ready, path));
    }
    return toBuffer(bytes, path);
  }
  if (payload instanceof Uint8Array) return toBuffer(payload, path);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  const text = JSON.stringify(payload);
  if (text === undefined)
    throw new InvalidTestInputError(path, 'a string, bytes, null or a JSON-serializable value');
  return Buffer.from(text, 'utf8');
}

function syncPayload(encoded: Encoded): Buffer | null {
  return encoded as Buffer | null;
}

function toBuffer(bytes: unknown, path: string): Buffer {
  if (!(bytes instanceof Uint8Array))
    throw new InvalidTestInputError(path, 'the serializer to return a Buffer');
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headerPairs(headers: HeadersInput | undefined, path: string): Array<[string, Buffer]> {
  if (headers === undefined) return [];
  const pairs: Array<[string, Buffer]> = [];
  const add = (name: string, value: unknown, at: string) => {
    if (typeof value === 'string') pairs.push([name, Buffer.from(value, 'utf8')]);
    else if (value instanceof Uint8Array) pairs.push([name, toBuffer(value, at)]);
    else throw new InvalidTestInputError(at, 'a string or bytes');
  };
  if (Array.isArray(headers)) {
    headers.forEach((pair: unknown, i) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
        throw new InvalidTestInputError(`${path}[${i}]`, 'a [name, value] pair');
      }
      add(pair[0], pair[1], `${path}[${i}]`);
    });
    return pairs;
  }
  if (typeof headers !== 'object' || headers === null)
    throw new InvalidTestInputError(path, 'an object or [name, value] pairs');
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (!Array.isArray(value)) add(name, value, `${path}.${name}`);
    else for (let i = 0; i < value.length; i++) add(name, value[i], `${path}.${name}[${i}]`);
  }
  return pairs;
}

function joinServers(servers: string | readonly string[]): string {
  return typeof servers === 'string' ? servers : servers.join(',');
}

function toEpochMs(value: number | Date, path: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new InvalidTestInputError(path, 'epoch milliseconds or a Date');
  return ms;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
