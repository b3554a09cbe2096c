import type { MessageBuilder } from '../contract/delivery.js';
import type { FailureStage } from '../contract/fates.js';
import type { LambdaContext } from '../contract/lambda.js';
import type {
  AnyProduceRequest,
  ProcessContext,
  RawProduceRequest,
  SerializedProduceRequest,
} from '../contract/process-context.js';
import { ConfigError, LateProduceError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { KafkaRecord } from './record.js';

/** What the records of one partition share; each record's context reads it. */
export interface PartitionScope {
  readonly logger: Logger;
  readonly lambdaContext: LambdaContext;
  /** What checks and builds a `produce()`'s message: the producer's delivery engine; none without a producer. */
  readonly delivery: MessageBuilder | undefined;
  /** The partition's signal: aborted at the deadline, or when the batch stops. */
  readonly signal: AbortSignal;
  /** A record's `produce()` came after it finished: the batch must fail (or, ended, say so). */
  lateProduce(error: LateProduceError): void;
}

/**
 * The `ProcessContext` of one record: it stages the record's messages until the record succeeds,
 * and refuses (loudly, without throwing) any `produce()` that comes after the record finished. What the handler
 * needs besides (the stage reached, ending the record) is static, so `process` sees only the
 * `ProcessContext` members on it.
 */
export class RecordContext implements ProcessContext {
  readonly #record: KafkaRecord<unknown, unknown>;
  readonly #scope: PartitionScope;
  #staged: AnyProduceRequest[] | undefined;
  #open = true;
  /** How far the record got; names the failure stage in logs and dead letters. */
  #stage: FailureStage = 'decode';
  #produceFn: ProcessContext['produce'] | undefined;

  constructor(record: KafkaRecord<unknown, unknown>, scope: PartitionScope) {
    this.#record = record;
    this.#scope = scope;
  }

  /**
   * Bound, since users destructure it: `process(record, { produce })`. Made on first read: most
   * records of a consumer-only handler never produce, and a closure per record is garbage. A bound
   * function is one object; an arrow over `this` was two (the function and its context).
   */
  get produce(): ProcessContext['produce'] {
    this.#produceFn ??= this.#produce.bind(this) as ProcessContext['produce'];
    return this.#produceFn;
  }

  get logger(): Logger {
    return this.#scope.logger;
  }

  get lambdaContext(): LambdaContext {
    return this.#scope.lambdaContext;
  }

  get signal(): AbortSignal {
    return this.#scope.signal;
  }

  /** Ends the record and hands over what it produced; later `produce()` calls fail. */
  static end(context: RecordContext): AnyProduceRequest[] | undefined {
    context.#open = false;
    const staged = context.#staged;
    context.#staged = undefined;
    return staged;
  }

  static stageOf(context: RecordContext): FailureStage {
    return context.#stage;
  }

  static reached(context: RecordContext, stage: FailureStage): void {
    context.#stage = stage;
  }

  #produce(message: RawProduceRequest | SerializedProduceRequest<unknown>): void {
    const delivery = this.#scope.delivery;
    if (!delivery) throw new ConfigError('produce() needs the `producer` option of createKafkaHandler');
    if (!this.#open) {
      // Not thrown: the caller is code nobody awaits (the record already ended), where a throw
      // becomes an unhandled rejection that ends the container, possibly during a later invocation.
      // The scope fails the invocation still running, or says loudly that the message is dropped.
      this.#scope.lateProduce(new LateProduceError(this.#record, String(message?.topic)));
      return;
    }
    delivery.checkRequest(message);
    // A literal of one: `[]` + push would reserve 17 slots for what is mostly a single message.
    if (this.#staged) this.#staged.push(message);
    else this.#staged = [message];
  }
}
