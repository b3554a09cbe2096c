/**
 * Why the schema registry integration gave a record to the on-failure destination instead of the
 * function, with the reason codes of https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html:
 * the record's schema is not in the registry, or its bytes do not decode with it.
 */
export type SchemaFailureCondition = 'SCHEMA_NOT_FOUND' | 'DESERIALIZATION_ERROR';

/** A record the integration could not decode: why, and the decoder's error. */
export interface SchemaFailure {
  readonly condition: SchemaFailureCondition;
  readonly part: 'key' | 'value';
  readonly error: Error;
}
