// What `process` receives besides the record, and what its `produce()` takes: the contract between
// a user's code and the engine, below everything that implements it.
import type { Serializer } from '../serde/serde.js';
import type { Logger } from '../shared/logger.js';
import type { LambdaContext } from './lambda.js';

/** Header values accepted by `produce`. */
export type ProduceHeaders =
  | Readonly<Record<string, string | Buffer>>
  | ReadonlyArray<readonly [string, string | Buffer]>;

/** Fields every `produce()` request has, whatever its value. */
export interface ProduceRequestBase {
  topic: string;
  key?: string | Buffer | null;
  headers?: ProduceHeaders;
  /** Omit to let the partitioner choose from the key. */
  partition?: number;
  /** Epoch ms or a Date; omitted means now. */
  timestamp?: number | Date;
}

/** A message whose value is already bytes or text (or null, a tombstone). */
export interface RawProduceRequest extends ProduceRequestBase {
  value: Buffer | string | null;
  serializer?: undefined;
}

/** A message whose value the given serializer turns into bytes. */
export interface SerializedProduceRequest<T> extends ProduceRequestBase {
  value: T | null;
  serializer: Serializer<T>;
}

/** What `process` receives besides the record. */
export interface ProcessContext {
  /**
   * Queues a message. It is sent once this record's `process` has succeeded (a failed record produces
   * nothing) and confirmed by the batch's single flush before the handler returns.
   */
  produce(message: RawProduceRequest): void;
  produce<T>(message: SerializedProduceRequest<T>): void;
  /** The handler's logger. */
  readonly logger: Logger;
  /** The Lambda context of the invocation. */
  readonly lambdaContext: LambdaContext;
  /** Aborted when the deadline guard stops the batch: pass it to fetch() and other cancellable I/O. */
  readonly signal: AbortSignal;
}

/** Any request `produce()` takes. */
export type AnyProduceRequest = RawProduceRequest | SerializedProduceRequest<unknown>;
