import { ConfigError, KafkaLambdaError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FailureStage } from './dead-letter.js';
import type { LambdaContext, ProcessContext, RawProduceRequest, SerializedProduceRequest } from './types.js';

export type AnyProduceRequest = RawProduceRequest | SerializedProduceRequest<unknown>;

/**
 * The `ProcessContext` of one partition's runner. Records of a partition run one after another, so a
 * single scope is reused: it stages the current record's messages until that record succeeds.
 */
export class RecordScope implements ProcessContext {
  /** How far the current record got; names the failure stage in logs and dead letters. */
  stage: FailureStage = 'decode';
  #staged: AnyProduceRequest[] | undefined;
  #active = false;

  constructor(
    readonly logger: Logger,
    readonly lambdaContext: LambdaContext,
    readonly canProduce: boolean,
    readonly signalSource: () => AbortSignal,
  ) {
    // Users destructure it: `process(record, { produce })`.
    this.produce = this.produce.bind(this);
  }

  get signal(): AbortSignal {
    return this.signalSource();
  }

  begin(): void {
    this.stage = 'decode';
    this.#staged = undefined;
    this.#active = true;
  }

  /** Ends the record and hands over what it produced (nothing when it failed). */
  end(): AnyProduceRequest[] | undefined {
    this.#active = false;
    const staged = this.#staged;
    this.#staged = undefined;
    return staged;
  }

  produce(message: RawProduceRequest): void;
  produce<T>(message: SerializedProduceRequest<T>): void;
  produce(message: AnyProduceRequest): void {
    if (!this.canProduce)
      throw new ConfigError('produce() needs the `producer` option of createKafkaHandler');
    if (!this.#active) {
      throw new KafkaLambdaError(
        'produce() was called after its record finished: await all work inside process()',
      );
    }
    if (typeof message?.topic !== 'string' || message.topic === '') {
      throw new KafkaLambdaError('produce() needs a `topic`');
    }
    (this.#staged ??= []).push(message);
  }
}
