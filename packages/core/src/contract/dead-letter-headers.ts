// The dead-letter format: written by the delivery engine, read back by the redrive and by users'
// consumers of a dead-letter topic.

/**
 * Headers added to every dead letter, next to the original record's own headers. Values are UTF-8.
 * Prefixed so they never collide with the application's headers.
 */
export const DEAD_LETTER_HEADERS = {
  /** `decode` (bytes or deserializer), `process` (a throw in process), `produce` (a serializer of a produced message). */
  reason: 'kafka-lambda.dlq.reason',
  errorClass: 'kafka-lambda.dlq.error.class',
  errorMessage: 'kafka-lambda.dlq.error.message',
  sourceTopic: 'kafka-lambda.dlq.source.topic',
  sourcePartition: 'kafka-lambda.dlq.source.partition',
  sourceOffset: 'kafka-lambda.dlq.source.offset',
  sourceTimestamp: 'kafka-lambda.dlq.source.timestamp',
  /** ISO-8601 time of the failed attempt. */
  failedAt: 'kafka-lambda.dlq.failed.at',
  functionName: 'kafka-lambda.dlq.function',
  /** Present when the original key/value was not valid base64: the bytes are then the base64 text. */
  rawEncoding: 'kafka-lambda.dlq.raw.encoding',
  /** Present when the dead letter would not fit `message.max.bytes`: the value's original length; the value kept is its first bytes. */
  valueTruncated: 'kafka-lambda.dlq.value.truncated',
  /** Present when even without its value it would not fit: how many original headers were left out. */
  headersOmitted: 'kafka-lambda.dlq.headers.omitted',
  /** Present when the key alone would not fit: the key's original length; the key kept is its first bytes. */
  keyTruncated: 'kafka-lambda.dlq.key.truncated',
} as const;
