import { KafkaLambdaError } from '../shared/errors.js';

/**
 * The producer could not reach, or was refused by, the cluster; or it lost its client for good. The
 * message names `bootstrap.servers` and `security.protocol`, never credentials. The next batch builds
 * a new client (re-reading the config source when the failure may come from it).
 *
 * @example
 * ```ts
 * producer.enqueue(message, (error) => {
 *   if (error instanceof ProducerConnectionError) console.log(error.message);
 *   // producer not connected to bootstrap.servers=b-1:9096 (security.protocol=SASL_SSL): SASL authentication error: …
 * }, signal);
 * ```
 */
export class ProducerConnectionError extends KafkaLambdaError {
  override name = 'ProducerConnectionError';
  /**
   * True when retrying before the configuration changes cannot help (credentials refused, every
   * bootstrap server refusing connections or unknown to DNS, a fatal client error): such a failure
   * ends the wait at once instead of using the batch's whole budget.
   */
  readonly definitive: boolean;
  constructor(message: string, options?: { cause?: unknown; definitive?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.definitive = options?.definitive ?? false;
  }
}

/**
 * The broker (or librdkafka) refused a message. `code` is librdkafka's error code (e.g. 10 for
 * MSG_SIZE_TOO_LARGE, -192 for a message timed out); `permanent` is true when this message as it is
 * can never be delivered (too large, invalid topic, not authorised), so retrying the batch cannot help.
 *
 * @example
 * ```ts
 * producer.enqueue(message, (error) => {
 *   if (error instanceof ProducerDeliveryError && error.permanent) console.log(error.code, error.topic);
 * });
 * ```
 */
export class ProducerDeliveryError extends KafkaLambdaError {
  override name = 'ProducerDeliveryError';
  constructor(
    readonly topic: string,
    readonly code: number | undefined,
    readonly permanent: boolean,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `message to ${topic} not delivered: ${reason}${code === undefined ? '' : ` (code ${code})`}`,
      options,
    );
  }
}

/**
 * librdkafka's queue stayed full until the batch that enqueued the message was aborted (its deadline),
 * or the producer's own bound on what it holds in memory was reached. Not permanent: a retry may fit.
 *
 * @example
 * ```ts
 * producer.enqueue(message, (error) => {
 *   if (error instanceof ProducerQueueFullError) console.log('raise queue.buffering.max.messages or produce less per record');
 * }, signal);
 * ```
 */
export class ProducerQueueFullError extends KafkaLambdaError {
  override name = 'ProducerQueueFullError';
}
