import { RecordValidationError, type ValidationIssue } from '../shared/errors.js';
import type { DeserializeContext, Deserializer } from './serde.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/**
 * Checks what `deserializer` decoded against a Standard Schema (zod, valibot, arktype, or any
 * library implementing `@standard-schema/spec`) and hands `process` the schema's output:
 * `record.value` is typed from the schema, and a value that does not pass fails its record with a
 * {@link RecordValidationError} (topic, partition, offset, the failing paths) under the handler's
 * error policy, like any decode failure. Works for keys and values of every format (`json()`,
 * `string()`, serdes' `avro`, `protobuf`, `jsonSchema`), with synchronous and asynchronous
 * deserializers and schemas: it returns a promise only when one of them does.
 *
 * It lives in core because it needs nothing but the `Deserializer` interface and the spec's types
 * ({@link StandardSchemaV1}, copied: core keeps no dependency): no schema library is imported, the
 * user brings theirs.
 *
 * @example
 * ```ts
 * import { createKafkaHandler, json, validated } from '@kafka-lambda/core';
 * import { z } from 'zod';
 *
 * const Order = z.object({ id: z.string(), total: z.number().nonnegative() });
 *
 * export const handler = createKafkaHandler({
 *   value: validated(json(), Order),
 *   onError: 'log',
 *   process(record) {
 *     console.log(record.value.total); // number: z.infer<typeof Order>
 *   },
 * });
 * ```
 */
export function validated<S extends StandardSchemaV1>(
  deserializer: Deserializer<unknown>,
  schema: S,
): Deserializer<StandardSchemaV1.InferOutput<S>> {
  const standard = schema?.['~standard'];
  if (typeof standard?.validate !== 'function' || standard.version !== 1) {
    throw new TypeError('validated() needs a Standard Schema v1 (zod ≥ 3.24, valibot ≥ 1, arktype ≥ 2, …)');
  }
  if (typeof deserializer?.deserialize !== 'function') {
    throw new TypeError('validated() needs a deserializer, e.g. json()');
  }
  type Output = StandardSchemaV1.InferOutput<S>;
  const judge = (result: StandardSchemaV1.Result<Output>, context: DeserializeContext): Output => {
    if (result.issues) {
      throw new RecordValidationError(context, context.part, result.issues.map(issueOf), standard.vendor);
    }
    return result.value;
  };
  const check = (decoded: unknown, context: DeserializeContext): Output | Promise<Output> => {
    const result = standard.validate(decoded) as
      | StandardSchemaV1.Result<Output>
      | Promise<StandardSchemaV1.Result<Output>>;
    return isPromise(result) ? result.then((r) => judge(r, context)) : judge(result, context);
  };
  return {
    deserialize(bytes, context) {
      const decoded = deserializer.deserialize(bytes, context);
      return isPromise(decoded) ? decoded.then((value) => check(value, context)) : check(decoded, context);
    },
  };
}

function issueOf(issue: StandardSchemaV1.Issue): ValidationIssue {
  return { path: pathOf(issue.path ?? []), message: issue.message };
}

/** `['items', 0, 'sku']` → `items[0].sku`; segments may be `{ key }` objects. */
function pathOf(path: ReadonlyArray<PropertyKey | StandardSchemaV1.PathSegment>): string {
  let out = '';
  for (const segment of path) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'symbol') out += `[${key.toString()}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
