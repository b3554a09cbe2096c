import { type OnFailureDestination, parseDestination } from './destination.js';
import { FolderDestination } from './folder-destination.js';
import { KafkaDestination } from './kafka-destination.js';

/** What {@link createDestination} needs besides the `Destination` string. */
export interface DestinationEnvironment {
  /** The source cluster (a `kafka://` destination is in it). */
  readonly brokers: string;
  /** librdkafka properties shared with the consumer (SASL, TLS …). */
  readonly clientConfig: Record<string, string | number | boolean>;
  /** Where S3, SQS and SNS destinations are written. */
  readonly failureDir: string;
}

/**
 * The local stand-in of an on-failure `Destination`: a producer to the topic of `kafka://<topic>`, a
 * folder for an S3 bucket, SQS queue or SNS topic ARN.
 *
 * @example
 * ```ts
 * const destination = createDestination('arn:aws:s3:::failed', { brokers, clientConfig: {}, failureDir: '.failures' });
 * ```
 */
export function createDestination(uri: string, environment: DestinationEnvironment): OnFailureDestination {
  const target = parseDestination(uri);
  if (target.kind === 'kafka') {
    // Only what a producer understands of the consumer's properties: the connection's.
    const producerConfig = Object.fromEntries(
      Object.entries(environment.clientConfig).filter(([key]) => /^(security|sasl|ssl)\./.test(key)),
    );
    return new KafkaDestination({
      topic: target.topic,
      brokers: environment.brokers,
      producerConfig,
    });
  }
  return new FolderDestination(uri, target.kind, target.name, environment.failureDir);
}
