import { ConfigError, KafkaLambdaError } from '../errors.js';
import type { KafkaHeaders } from '../headers.js';
import type { Logger } from '../logger.js';
import type { KafkaRecord } from '../record.js';
import type { DeserializeContext, EsmSchemaMetadata, MessagePart } from '../serde.js';
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
  /** Reused for every key and value of the partition: records of a partition never overlap. */
  readonly deserializeContext = new RecordDeserializeContext();
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

/**
 * Lets a deserializer see where its bytes came from without copying the record. Valid during the
 * `deserialize` call (and its promise): the next record of the partition reuses it.
 */
export class RecordDeserializeContext implements DeserializeContext {
  #record: KafkaRecord<unknown, unknown> | undefined;
  part: MessagePart = 'value';
  schemaMetadata: EsmSchemaMetadata | undefined;

  describe(
    record: KafkaRecord<unknown, unknown>,
    part: MessagePart,
    schemaMetadata: EsmSchemaMetadata | undefined,
  ): this {
    this.#record = record;
    this.part = part;
    this.schemaMetadata = schemaMetadata;
    return this;
  }

  get topic(): string {
    return this.#record!.topic;
  }
  get partition(): number {
    return this.#record!.partition;
  }
  get offset(): number {
    return this.#record!.offset;
  }
  get headers(): KafkaHeaders {
    return this.#record!.headers;
  }
}
