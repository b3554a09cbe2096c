import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import type { FailureContext } from './failure-record.js';

/** Records the runner gave up on, per `<topic>-<partition>` in offset order, with why. */
export interface FailedRecords {
  readonly records: Readonly<Record<string, KafkaEventRecord[]>>;
  readonly context: FailureContext;
}

/**
 * Where the runner sends records it gave up on, as the ESM's `DestinationConfig.OnFailure` does. A
 * write resolves only once the records are stored (the broker acknowledged them, or the file is
 * written): only then are their offsets committed.
 */
export interface OnFailureDestination {
  /** The configured destination, for logs: `kafka://orders.failures`, `arn:aws:s3:::bucket` … */
  readonly uri: string;
  write(failed: FailedRecords): Promise<void>;
  close(): Promise<void>;
}

/** A destination as its `Destination` string names it. */
export type DestinationTarget =
  | { readonly kind: 'kafka'; readonly topic: string }
  | { readonly kind: 's3' | 'sqs' | 'sns'; readonly name: string };

/**
 * Reads an on-failure `Destination`: `kafka://<topic>` (the same cluster), or the ARN of an S3 bucket,
 * SQS queue or SNS topic. Throws {@link InvalidTestInputError} naming `path` for anything else.
 *
 * @example
 * ```ts
 * parseDestination('kafka://orders.failures'); // { kind: 'kafka', topic: 'orders.failures' }
 * parseDestination('arn:aws:s3:::failed-batches'); // { kind: 's3', name: 'failed-batches' }
 * ```
 */
export function parseDestination(uri: string, path = 'onFailureDestination'): DestinationTarget {
  if (uri.startsWith('kafka://')) {
    const topic = uri.slice('kafka://'.length);
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw new InvalidTestInputError(path, 'kafka://<topic name>');
    return { kind: 'kafka', topic };
  }
  const arn = /^arn:aws[\w-]*:(s3|sqs|sns):[^:]*:[^:]*:(.+)$/.exec(uri);
  if (arn) return { kind: arn[1] as 's3' | 'sqs' | 'sns', name: arn[2]! };
  throw new InvalidTestInputError(path, 'kafka://<topic>, or an S3 bucket, SQS queue or SNS topic ARN');
}
