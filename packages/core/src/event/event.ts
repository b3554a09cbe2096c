import { InvalidEventError } from '../shared/errors.js';
import type { EsmSchemaMetadata } from './esm-schema-metadata.js';
import type { RawHeaders } from './headers.js';
import { isHeaderByte, ParsedHeaderBytes } from './parsed-header-bytes.js';

/** One record as the Kafka ESM delivers it. Key and value are base64. */
export interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME' | (string & {});
  /** Absent or null when the producer sent no key. */
  key?: string | null;
  /** Null for a tombstone. */
  value: string | null;
  headers?: RawHeaders;
  keySchemaMetadata?: EsmSchemaMetadata;
  valueSchemaMetadata?: EsmSchemaMetadata;
}

/**
 * The event Lambda passes for an Amazon MSK (`aws:kafka`) or self-managed (`SelfManagedKafka`) event
 * source mapping. Compatible with `MSKEvent` / `SelfManagedKafkaEvent` of `@types/aws-lambda`.
 */
export interface KafkaEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka' | 'aws:SelfManagedKafka' | (string & {});
  eventSourceArn?: string;
  bootstrapServers?: string;
  /** Records grouped by `<topic>-<partition>`. */
  records: Record<string, KafkaEventRecord[]>;
}

/** The records of one topic-partition, in the order the ESM delivered them (offset order). */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly KafkaEventRecord[];
}

/**
 * The `eventSource` spellings real tools produce: `aws:kafka` (Amazon MSK), `SelfManagedKafka` (what
 * Lambda sends for self-managed Kafka and Confluent Cloud), and `aws:SelfManagedKafka` (the fixtures
 * of Powertools for Python, aws-lambda-go's docs, and the libraries that copy them). Anything else is
 * not a Kafka event.
 */
export const KAFKA_EVENT_SOURCES: ReadonlySet<string> = new Set([
  'aws:kafka',
  'SelfManagedKafka',
  'aws:SelfManagedKafka',
]);

/**
 * Checks the event's shape and groups its records per partition. Throws {@link InvalidEventError}
 * naming the first offending path. Keys and values are not decoded here: that happens per record, so
 * one malformed value fails one record, not the batch.
 *
 * @example
 * ```ts
 * const partitions = parseKafkaEvent(event);
 * console.log(partitions.map((p) => `${p.topic}-${p.partition}: ${p.records.length}`));
 * ```
 */
export function parseKafkaEvent(event: unknown): PartitionBatch[] {
  if (!isObject(event)) throw new InvalidEventError('event', 'an object');
  if (!KAFKA_EVENT_SOURCES.has(event.eventSource as string)) {
    throw new InvalidEventError('eventSource', '"aws:kafka", "SelfManagedKafka" or "aws:SelfManagedKafka"');
  }
  const records = event.records;
  if (!isObject(records)) throw new InvalidEventError('records', 'an object keyed by "<topic>-<partition>"');

  const batches: PartitionBatch[] = [];
  for (const groupKey in records) {
    let headerBytes: ParsedHeaderBytes | undefined;
    const group = records[groupKey];
    if (!Array.isArray(group)) throw new InvalidEventError(groupPathOf(groupKey), 'an array of records');
    const key = partitionKeyParts(groupKey);
    if (!key) throw new InvalidEventError(groupPathOf(groupKey), PARTITION_KEY_FORM);
    const { topic, partition } = key;
    let previous = -1;
    for (let i = 0; i < group.length; i++) {
      checkRecord(group[i], topic, partition, groupKey, i);
      // Header bytes are checked and copied in this one pass (see ParsedHeaderBytes).
      const headers = (group[i] as KafkaEventRecord).headers;
      if (
        headers &&
        headers.length > 0 &&
        !(headerBytes ??= new ParsedHeaderBytes(group.length)).copy(i, headers)
      )
        explainRecord(group[i], topic, partition, `${groupPathOf(groupKey)}[${i}]`);
      // Policies stop a partition at its first failure and report that offset: order is load-bearing.
      const { offset } = group[i] as KafkaEventRecord;
      if (offset <= previous)
        throw new InvalidEventError(
          `${groupPathOf(groupKey)}[${i}].offset`,
          `an offset above ${previous}, in order`,
        );
      previous = offset;
    }
    if (group.length === 0) continue;
    headerBytes?.end(group.length);
    // The copy rides on the batch under a private symbol (a WeakMap entry per partition per
    // invocation measured ≈1 µs at batches of 1).
    const batch: ParsedPartitionBatch = {
      topic,
      partition,
      records: group as KafkaEventRecord[],
      [HEADER_BYTES]: headerBytes,
    };
    batches.push(batch);
  }
  return batches;
}

/** Where a partition returned by parseKafkaEvent keeps its copy of the header bytes. */
const HEADER_BYTES = Symbol('kafka-lambda.headerBytes');

interface ParsedPartitionBatch extends PartitionBatch {
  readonly [HEADER_BYTES]: ParsedHeaderBytes | undefined;
}

/** The header bytes {@link parseKafkaEvent} checked and copied for `batch`; the handler's path, internal. */
export function headerBytesOf(batch: PartitionBatch): ParsedHeaderBytes | undefined {
  return (batch as Partial<ParsedPartitionBatch>)[HEADER_BYTES];
}

/** Splits `<topic>-<partition>` at the LAST dash: topic names may contain dashes and dots. */
export function splitPartitionKey(key: string, path = 'records'): { topic: string; partition: number } {
  const parts = partitionKeyParts(key);
  if (!parts) throw new InvalidEventError(path, PARTITION_KEY_FORM);
  return parts;
}

const PARTITION_KEY_FORM = 'a key of the form "<topic>-<partition>"';

function partitionKeyParts(key: string): { topic: string; partition: number } | undefined {
  const dash = key.lastIndexOf('-');
  const partition = dash > 0 ? Number(key.slice(dash + 1)) : Number.NaN;
  if (!Number.isInteger(partition) || partition < 0 || key.slice(dash + 1) === '') return undefined;
  return { topic: key.slice(0, dash), partition };
}

/** The path of a group in error messages; built only for an error (a batch of 1 paid it per invocation). */
function groupPathOf(groupKey: string): string {
  return `records[${JSON.stringify(groupKey)}]`;
}

/** Valid records cost no string building: the path is made only for the error. */
function checkRecord(record: unknown, topic: string, partition: number, groupKey: string, i: number): void {
  if (
    isObject(record) &&
    record.topic === topic &&
    record.partition === partition &&
    isNonNegativeInteger(record.offset) &&
    typeof record.timestamp === 'number' &&
    Number.isFinite(record.timestamp) &&
    (record.timestampType === undefined || typeof record.timestampType === 'string') &&
    (record.key === undefined || record.key === null || typeof record.key === 'string') &&
    (record.value === null || typeof record.value === 'string') &&
    // Their bytes are checked by the ParsedHeaderBytes copy, in the same pass.
    (record.headers === undefined || record.headers === null || Array.isArray(record.headers))
  )
    return;
  explainRecord(record, topic, partition, `${groupPathOf(groupKey)}[${i}]`);
}

/** Throws the error naming the first offending path of a record {@link checkRecord} refused. */
function explainRecord(record: unknown, topic: string, partition: number, path: string): void {
  if (!isObject(record)) throw new InvalidEventError(path, 'a record object');
  if (record.topic !== topic) throw new InvalidEventError(`${path}.topic`, `"${topic}" as in its group key`);
  if (record.partition !== partition)
    throw new InvalidEventError(`${path}.partition`, `${partition} as in its group key`);
  if (!isNonNegativeInteger(record.offset))
    throw new InvalidEventError(`${path}.offset`, 'a non-negative integer');
  if (typeof record.timestamp !== 'number' || !Number.isFinite(record.timestamp))
    throw new InvalidEventError(`${path}.timestamp`, 'a number (epoch ms)');
  if (record.timestampType !== undefined && typeof record.timestampType !== 'string')
    throw new InvalidEventError(`${path}.timestampType`, 'a string such as "CREATE_TIME"');
  const { key, value, headers } = record;
  if (key !== undefined && key !== null && typeof key !== 'string') {
    throw new InvalidEventError(`${path}.key`, 'a base64 string, null or absent');
  }
  if (value !== null && typeof value !== 'string')
    throw new InvalidEventError(`${path}.value`, 'a base64 string or null');
  if (headers !== undefined && headers !== null) checkHeaders(headers, `${path}.headers`);
}

function checkHeaders(headers: unknown, path: string): void {
  if (!Array.isArray(headers)) throw new InvalidEventError(path, 'an array of { name: bytes } objects');
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i];
    if (!isObject(header)) throw new InvalidEventError(`${path}[${i}]`, 'an object { name: bytes }');
    for (const name in header) {
      const bytes = header[name];
      if (!isByteArray(bytes))
        throw new InvalidEventError(`${path}[${i}].${name}`, 'an array of bytes (integers -128..255)');
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Only on the path that explains a refused event: parseKafkaEvent checked the bytes while copying them. */
function isByteArray(bytes: unknown): boolean {
  return Array.isArray(bytes) && bytes.every(isHeaderByte);
}
