/** Schema metadata the ESM attaches when its own schema-registry integration is configured. */
export interface EsmSchemaMetadata {
  /** `AVRO`, `PROTOBUF` or `JSON`. */
  readonly dataFormat: string;
  readonly schemaId: string;
}
