/** The schema languages a Confluent-compatible registry stores. */
export type SchemaType = 'AVRO' | 'PROTOBUF' | 'JSON';

/** A named dependency of a schema: an imported `.proto` file, an Avro named type, a JSON `$ref`. */
export interface SchemaReference {
  /** How the schema refers to it: the import path (`other.proto`), the Avro full name, the `$ref` URL. */
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

/** A schema as sent to the registry. `schemaType` defaults to AVRO, as in the REST API. */
export interface SchemaDefinition {
  readonly schema: string;
  readonly schemaType?: SchemaType;
  readonly references?: readonly SchemaReference[];
}

/** A schema as the registry returns it, with its id (and GUID when the registry has them). */
export interface RegisteredSchema {
  readonly id: number;
  readonly guid?: string;
  readonly schema: string;
  readonly schemaType: SchemaType;
  readonly references: readonly SchemaReference[];
}

/** A schema registered under a subject at a version. */
export interface SubjectVersion extends RegisteredSchema {
  readonly subject: string;
  readonly version: number;
}

/** A reference with its schema, fetched from the registry; see `SchemaRegistry.resolveReferences`. */
export interface ResolvedReference {
  readonly name: string;
  readonly schema: SubjectVersion;
}
