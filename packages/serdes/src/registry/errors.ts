import { sdkError } from '../sdk-error.js';
/**
 * Any failure talking to the Schema Registry. `status` is the HTTP status (undefined for network
 * errors), `errorCode` the registry's `error_code` (e.g. 40403). Messages name the request
 * (`GET /schemas/ids/7`), never credentials.
 *
 * @example
 * ```ts
 * try { await registry.getSchemaById(7); } catch (err) { if (err instanceof SchemaRegistryError) console.log(err.status, err.errorCode); }
 * ```
 */
export class SchemaRegistryError extends Error {
  override name = 'SchemaRegistryError';
  constructor(
    message: string,
    readonly status?: number,
    readonly errorCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
sdkError(SchemaRegistryError);

/**
 * The schema, subject or version does not exist (HTTP 404; error codes 40401 subject, 40402 version,
 * 40403 schema). `id`, `guid`, `subject` and `version` say what was asked for.
 *
 * @example
 * ```ts
 * await expect(registry.getSchemaById(999999)).rejects.toBeInstanceOf(SchemaNotFoundError);
 * ```
 */
export class SchemaNotFoundError extends SchemaRegistryError {
  override name = 'SchemaNotFoundError';
  constructor(
    message: string,
    readonly ref: { id?: number; guid?: string; subject?: string; version?: number | 'latest' },
    status?: number,
    errorCode?: number,
  ) {
    super(message, status, errorCode);
  }
}

/**
 * The registry could not be reached or kept failing (network error, timeout, 5xx or 429) after the
 * bounded retries. Transient: `@kafka-lambda/core` fails the invocation (or reports the record) so the
 * ESM retries, whatever the error policy.
 *
 * @example
 * ```ts
 * if (err instanceof RegistryUnavailableError) throw err; // fail the invocation, the ESM retries
 * ```
 */
export class RegistryUnavailableError extends SchemaRegistryError {
  override name = 'RegistryUnavailableError';
  /** Read by `@kafka-lambda/core`: the record is retried, never skipped or dead-lettered. */
  readonly retryable = true;
}

/**
 * The registry rejected the credentials (401) or the permission (403), after one refresh of the
 * settings when they come from a source with `invalidate()`.
 *
 * @example
 * ```ts
 * if (err instanceof RegistryAuthError) logger.error('check the schema registry API key');
 * ```
 */
export class RegistryAuthError extends SchemaRegistryError {
  override name = 'RegistryAuthError';
  /** Credentials get rotated: retry rather than dead-letter every record until someone notices. */
  readonly retryable = true;
}

/**
 * Registering was refused because the schema is incompatible with the subject's previous versions (409).
 *
 * @example
 * ```ts
 * await expect(registry.register('t-value', breaking)).rejects.toBeInstanceOf(IncompatibleSchemaError);
 * ```
 */
export class IncompatibleSchemaError extends SchemaRegistryError {
  override name = 'IncompatibleSchemaError';
}

/**
 * The registry refused the schema or version as invalid (422; 42201 invalid schema, 42202 invalid version).
 *
 * @example
 * ```ts
 * await expect(registry.register('t-value', { schema: '{' })).rejects.toBeInstanceOf(InvalidSchemaError);
 * ```
 */
export class InvalidSchemaError extends SchemaRegistryError {
  override name = 'InvalidSchemaError';
}
