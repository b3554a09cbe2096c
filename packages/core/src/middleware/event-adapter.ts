import type { BatchItemFailures } from '../contract/lambda.js';
import type { PartitionBatch } from '../event/event.js';

/**
 * Reads an event shape other than the ESM's into the batch's partitions, and turns the batch's
 * result into what that shape's caller expects. A middleware brings it (`events`), so a function
 * loads the parser of a shape only when it takes that shape: the ESM's own is the engine's.
 *
 * @example
 * ```ts
 * import type { EventAdapter } from '@kafka-lambda/core/middleware';
 * import { parseKafkaEvent } from '@kafka-lambda/core/events';
 *
 * // An envelope of your own around an ESM event: { kafka: <the ESM event> }.
 * export const enveloped: EventAdapter = {
 *   name: 'the envelope',
 *   eventSource: 'aws:kafka',
 *   accepts: (event) => typeof event === 'object' && event !== null && 'kafka' in event,
 *   parse: (event) => parseKafkaEvent((event as { kafka: unknown }).kafka),
 *   result: (result) => result,
 * };
 * ```
 */
export interface EventAdapter {
  /** Names the caller in log lines ("kafka batch stopped; <name> cannot retry part of it"). */
  readonly name: string;
  /** The `eventSource` the batch's observers see. */
  readonly eventSource: string;
  /** Whether `event` is this adapter's shape; the first adapter of `use` that accepts it reads it. */
  accepts(event: unknown): boolean;
  /** The event's records by partition; throws an `InvalidEventError` naming what is wrong and where. */
  parse(event: unknown): PartitionBatch[];
  /** What the invocation returns for the batch's result; throwing fails the invocation. */
  result(result: BatchItemFailures | undefined): unknown;
}
