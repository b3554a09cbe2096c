import type { KafkaHeaders } from '../event/headers.js';
import type { DeserializeContext, EsmSchemaMetadata, MessagePart } from '../serde/serde.js';
import type { KafkaRecord } from './record.js';

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
