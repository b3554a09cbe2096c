import { InvalidEventError } from '../shared/errors.js';
import { type KafkaEvent, type KafkaEventRecord, parseKafkaEvent } from './event.js';
import type { RawHeaders } from './headers.js';

/**
 * What a Kafka event source mapping writes to its on-failure destination for a batch it gave up on
 * (retries exhausted, record too old, payload too large). As AWS documents it:
 * - a Kafka topic (`kafka://topic`) gets one message per failed record whose value is this JSON, with
 *   `KafkaBatchInfo.recordInfo` and `payload` the ESM event of that one record
 *   (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html);
 * - an S3 object is this JSON with `KafkaBatchInfo.recordsInfo` (per partition) and `payload` the
 *   whole invocation event as an escaped JSON STRING
 *   (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html);
 * - SQS and SNS get the metadata only, no `payload`: nothing to reprocess from them.
 */
export interface EsmFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    /** e.g. `RetryAttemptsExhausted`, `RetriesExhausted`, `MaximumPayloadSizeExceeded`. */
    condition: string;
    approximateInvokeCount: number;
  };
  /** Null when the condition is `MaximumPayloadSizeExceeded`. */
  responseContext?: { statusCode?: number; executedVersion?: string; functionError?: string } | null;
  version?: string;
  /** ISO-8601 time the ESM gave up. */
  timestamp: string;
  KafkaBatchInfo: Record<string, unknown>;
  payload?: KafkaEvent | string;
}

/** The failure metadata {@link fromFailureRecords} attaches to each record, read back by {@link esmFailureOf}. */
export interface EsmFailure {
  condition: string;
  approximateInvokeCount: number;
  requestId: string;
  functionArn: string;
  /** When the ESM gave up (ISO-8601). */
  failedAt: string;
  functionError?: string;
  statusCode?: number;
}

/** Names of the headers carrying {@link EsmFailure} on a reprocessed record. */
export const ESM_FAILURE_HEADERS = {
  condition: 'kafka-lambda.esm-failure.condition',
  approximateInvokeCount: 'kafka-lambda.esm-failure.invoke-count',
  requestId: 'kafka-lambda.esm-failure.request-id',
  functionArn: 'kafka-lambda.esm-failure.function-arn',
  failedAt: 'kafka-lambda.esm-failure.failed-at',
  functionError: 'kafka-lambda.esm-failure.function-error',
  statusCode: 'kafka-lambda.esm-failure.status-code',
} as const;

/**
 * Turns what an ESM wrote to its on-failure destination back into one ESM event, so the same handler
 * reprocesses it: the values of messages read from a `kafka://` destination topic, or S3 objects, as
 * JSON text, bytes or parsed objects. Records are grouped per partition in offset order (a record
 * given twice is kept once), keep their own key, value and headers, and get the failure metadata as
 * extra headers ({@link ESM_FAILURE_HEADERS}), which `process` reads with {@link esmFailureOf}.
 * Throws {@link InvalidEventError} naming the offending path, e.g. `failures[2].payload` for an
 * SQS/SNS record (metadata only).
 *
 * @example
 * ```ts
 * import { fromFailureRecords } from '@kafka-lambda/core/events';
 *
 * // values read from the on-failure topic, or S3 objects' bodies
 * const event = fromFailureRecords(values);
 * await handler(event, context);
 * ```
 */
export function fromFailureRecords(failures: ReadonlyArray<string | Uint8Array | object>): KafkaEvent {
  let head: KafkaEvent | undefined;
  const groups = new Map<string, Map<number, KafkaEventRecord>>();
  failures.forEach((input, i) => {
    const path = `failures[${i}]`;
    const failure = parseJson(input, path) as Partial<EsmFailureRecord>;
    if (!isObject(failure))
      throw new InvalidEventError(path, 'an on-failure invocation record (JSON object)');
    const rc = failure.requestContext;
    if (!isObject(rc) || typeof rc.condition !== 'string')
      throw new InvalidEventError(`${path}.requestContext`, 'an object with the failure condition');
    let payload: unknown = failure.payload;
    if (payload === undefined || payload === null)
      throw new InvalidEventError(
        `${path}.payload`,
        'the failed records (only Kafka and S3 destinations carry them; SQS/SNS records name offsets only)',
      );
    if (typeof payload === 'string') payload = parseJson(payload, `${path}.payload`);
    let partitions: ReturnType<typeof parseKafkaEvent>;
    try {
      partitions = parseKafkaEvent(payload);
    } catch (error) {
      if (error instanceof InvalidEventError)
        throw new InvalidEventError(`${path}.payload.${error.path}`, error.expected);
      throw error;
    }
    head ??= payload as KafkaEvent;
    const extra = failureHeaders(failure as EsmFailureRecord);
    for (const { topic, partition, records } of partitions) {
      const key = `${topic}-${partition}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = new Map()));
      for (const record of records) {
        if (group.has(record.offset)) continue;
        group.set(record.offset, { ...record, headers: [...(record.headers ?? []), ...extra] });
      }
    }
  });
  const records: Record<string, KafkaEventRecord[]> = {};
  for (const [key, group] of groups) records[key] = [...group.values()].sort((a, b) => a.offset - b.offset);
  const event: KafkaEvent = { eventSource: head?.eventSource ?? 'SelfManagedKafka', records };
  if (head?.eventSourceArn !== undefined) event.eventSourceArn = head.eventSourceArn;
  if (head?.bootstrapServers !== undefined) event.bootstrapServers = head.bootstrapServers;
  return event;
}

/**
 * The ESM failure a reprocessed record carries (see {@link fromFailureRecords}), or undefined for an
 * ordinary record.
 *
 * @example
 * ```ts
 * import { esmFailureOf } from '@kafka-lambda/core/events';
 *
 * // inside process(record):
 * const failure = esmFailureOf(record);
 * if (failure) logger.warn('reprocessing', { condition: failure.condition, attempts: failure.approximateInvokeCount });
 * ```
 */
export function esmFailureOf(record: {
  readonly headers: { getString(name: string): string | undefined };
}): EsmFailure | undefined {
  const h = record.headers;
  const condition = h.getString(ESM_FAILURE_HEADERS.condition);
  if (condition === undefined) return undefined;
  const failure: EsmFailure = {
    condition,
    approximateInvokeCount: Number(h.getString(ESM_FAILURE_HEADERS.approximateInvokeCount) ?? 0),
    requestId: h.getString(ESM_FAILURE_HEADERS.requestId) ?? '',
    functionArn: h.getString(ESM_FAILURE_HEADERS.functionArn) ?? '',
    failedAt: h.getString(ESM_FAILURE_HEADERS.failedAt) ?? '',
  };
  const functionError = h.getString(ESM_FAILURE_HEADERS.functionError);
  if (functionError !== undefined) failure.functionError = functionError;
  const statusCode = h.getString(ESM_FAILURE_HEADERS.statusCode);
  if (statusCode !== undefined) failure.statusCode = Number(statusCode);
  return failure;
}

function failureHeaders(failure: EsmFailureRecord): RawHeaders {
  const rc = failure.requestContext;
  const pairs: Array<[string, unknown]> = [
    [ESM_FAILURE_HEADERS.condition, rc.condition],
    [ESM_FAILURE_HEADERS.approximateInvokeCount, rc.approximateInvokeCount],
    [ESM_FAILURE_HEADERS.requestId, rc.requestId],
    [ESM_FAILURE_HEADERS.functionArn, rc.functionArn],
    [ESM_FAILURE_HEADERS.failedAt, failure.timestamp],
    [ESM_FAILURE_HEADERS.functionError, failure.responseContext?.functionError],
    [ESM_FAILURE_HEADERS.statusCode, failure.responseContext?.statusCode],
  ];
  const headers: Array<Record<string, number[]>> = [];
  for (const [name, value] of pairs) {
    if (value === undefined || value === null) continue;
    headers.push({ [name]: [...Buffer.from(String(value), 'utf8')] });
  }
  return headers;
}

function parseJson(input: string | Uint8Array | object, path: string): unknown {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidEventError(path, 'JSON text');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
