import type { EsmFailureRecord, KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import type { SchemaFailureCondition } from '../schema/schema-failure.js';

/**
 * Why the runner gave up on records, as the invocation record's `requestContext.condition` names it.
 * AWS's pages disagree on the wording of exhausted retries: the Kafka destination's example says
 * `RetriesExhausted` (kafka-on-failure-destination.html), the S3/SQS/SNS example
 * `RetryAttemptsExhausted` (kafka-on-failure.html); each destination uses its own page's. The
 * condition for records past `MaximumRecordAgeInSeconds` is not shown on either page:
 * `RecordAgeExceeded` is this runner's choice. Records the schema registry integration could not
 * decode carry its reason codes, `SCHEMA_NOT_FOUND` and `DESERIALIZATION_ERROR`
 * (services-consume-kafka-events.html).
 */
export type FailureCondition = 'RetriesExhausted' | 'RecordAgeExceeded' | SchemaFailureCondition;

/** What is known of the failure that sends records to the destination. */
export interface FailureContext {
  readonly condition: FailureCondition;
  readonly requestId: string;
  readonly functionArn: string;
  /** Invocations made with these records (0 when they expired before any). */
  readonly approximateInvokeCount: number;
  /** `Unhandled` when the function threw; undefined when it reported the records, or was never invoked. */
  readonly functionError: string | undefined;
  /** False when the records expired before an invocation: `responseContext` is then null. */
  readonly invoked: boolean;
  readonly failedAt: Date;
  readonly eventSource: KafkaEvent['eventSource'];
  readonly eventSourceArn: string | undefined;
  readonly bootstrapServers: string;
}

function header(context: FailureContext) {
  return {
    requestContext: {
      requestId: context.requestId,
      functionArn: context.functionArn,
      condition: AWS_CONDITION[context.condition],
      approximateInvokeCount: context.approximateInvokeCount,
    },
    responseContext: context.invoked
      ? {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(context.functionError ? { functionError: context.functionError } : {}),
        }
      : null,
    version: '1.0',
    timestamp: context.failedAt.toISOString(),
  };
}

// The Kafka page's wording is the base; the S3/SQS/SNS page's is applied in invocationRecord.
const AWS_CONDITION: Record<FailureCondition, string> = {
  RetriesExhausted: 'RetriesExhausted',
  RecordAgeExceeded: 'RecordAgeExceeded',
  SCHEMA_NOT_FOUND: 'SCHEMA_NOT_FOUND',
  DESERIALIZATION_ERROR: 'DESERIALIZATION_ERROR',
};

function eventOf(context: FailureContext, records: Readonly<Record<string, KafkaEventRecord[]>>): KafkaEvent {
  return {
    eventSource: context.eventSource,
    ...(context.eventSourceArn ? { eventSourceArn: context.eventSourceArn } : {}),
    bootstrapServers: context.bootstrapServers,
    records: { ...records },
  };
}

/**
 * The value of the message a `kafka://` destination gets for one failed record, as
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html shows it: the
 * failure metadata, `KafkaBatchInfo` with `batchSize: 1` and `recordInfo`, and `payload` an ESM event
 * holding that one record.
 *
 * @example
 * ```ts
 * const value = kafkaDestinationValue(record, context); // JSON.stringify(value) is the message value
 * ```
 */
export function kafkaDestinationValue(record: KafkaEventRecord, context: FailureContext): EsmFailureRecord {
  const payload = eventOf(context, { [`${record.topic}-${record.partition}`]: [record] });
  return {
    ...header(context),
    KafkaBatchInfo: {
      batchSize: 1,
      ...(context.eventSourceArn ? { eventSourceArn: context.eventSourceArn } : {}),
      bootstrapServers: context.bootstrapServers,
      payloadSize: Buffer.byteLength(JSON.stringify(payload)),
      recordInfo: { offset: String(record.offset), timestamp: new Date(record.timestamp).toISOString() },
    },
    payload,
  };
}

/**
 * The invocation record an S3, SQS or SNS destination gets for one failed batch, as
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html shows it: `KafkaBatchInfo` with
 * `recordsInfo` per `<topic>-<partition>` (first and last offsets and timestamps) and, for S3 only,
 * `payload`: the whole invocation event as an escaped JSON string.
 *
 * @example
 * ```ts
 * const s3Object = invocationRecord({ 'orders-0': records }, context, { withPayload: true });
 * ```
 */
export function invocationRecord(
  records: Readonly<Record<string, KafkaEventRecord[]>>,
  context: FailureContext,
  { withPayload }: { withPayload: boolean },
): EsmFailureRecord {
  const recordsInfo: Record<string, unknown> = {};
  let batchSize = 0;
  for (const [key, list] of Object.entries(records)) {
    const first = list[0]!;
    const last = list[list.length - 1]!;
    batchSize += list.length;
    recordsInfo[key] = {
      firstRecordOffset: String(first.offset),
      lastRecordOffset: String(last.offset),
      firstRecordTimestamp: new Date(first.timestamp).toISOString(),
      lastRecordTimestamp: new Date(last.timestamp).toISOString(),
    };
  }
  const payload = JSON.stringify(eventOf(context, records));
  const base = header(context);
  if (context.condition === 'RetriesExhausted') base.requestContext.condition = 'RetryAttemptsExhausted';
  return {
    ...base,
    KafkaBatchInfo: {
      batchSize,
      ...(context.eventSourceArn ? { eventSourceArn: context.eventSourceArn } : {}),
      bootstrapServers: context.bootstrapServers,
      payloadSize: Buffer.byteLength(payload),
      recordsInfo,
    },
    ...(withPayload ? { payload } : {}),
  };
}
