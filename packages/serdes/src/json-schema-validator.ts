import { sdkError } from './sdk-error.js';
/** A JSON Schema, as parsed JSON. */
export type JsonSchemaDocument = Record<string, unknown> | boolean;

/** Plug in another validator (e.g. ajv): return the problems, or nothing when valid. */
export type JsonValidator = (value: unknown, schema: JsonSchemaDocument) => readonly string[] | undefined;

/**
 * A value does not match its JSON Schema. `errors` lists each problem with its JSON path.
 *
 * @example
 * ```ts
 * try { await serde.serialize({}, ctx); } catch (err) { if (err instanceof JsonSchemaValidationError) console.log(err.errors); }
 * ```
 */
export class JsonSchemaValidationError extends Error {
  override name = 'JsonSchemaValidationError';
  constructor(readonly errors: readonly string[]) {
    super(
      `value does not match its JSON Schema: ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? '; …' : ''}`,
    );
  }
}
sdkError(JsonSchemaValidationError);

/**
 * A small JSON Schema validator for the keywords that describe data shape: `type`, `enum`, `const`,
 * `properties`, `required`, `additionalProperties`, `items`, `minItems`/`maxItems`, `minLength`/
 * `maxLength`, `pattern`, `minimum`/`maximum` (and exclusive forms), `allOf`/`anyOf`/`oneOf`/`not`,
 * and `$ref` to `#/…` pointers or to named references. Other keywords (`format`, `if`, …) are ignored.
 * About 150 lines and no dependency: Lambda cold start pays nothing for ajv's compiler.
 *
 * @example
 * ```ts
 * validateJsonSchema({ a: 1 }, { type: 'object', required: ['b'] }); // ['$: missing required property "b"']
 * ```
 */
export function validateJsonSchema(
  value: unknown,
  schema: JsonSchemaDocument,
  references: ReadonlyMap<string, JsonSchemaDocument> = new Map(),
): string[] {
  const errors: string[] = [];
  check(value, schema, '$', schema, references, errors, 0);
  return errors;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return typeOf(value) === type;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) =>
    deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}

function resolveRef(
  ref: string,
  root: JsonSchemaDocument,
  references: ReadonlyMap<string, JsonSchemaDocument>,
) {
  const named = references.get(ref);
  if (named !== undefined) return { schema: named, root: named };
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node === undefined ? undefined : { schema: node as JsonSchemaDocument, root };
}

function check(
  value: unknown,
  schema: JsonSchemaDocument,
  path: string,
  root: JsonSchemaDocument,
  references: ReadonlyMap<string, JsonSchemaDocument>,
  errors: string[],
  depth: number,
): void {
  if (schema === true) return;
  if (schema === false) {
    errors.push(`${path}: no value is allowed here`);
    return;
  }
  if (depth > 64) {
    errors.push(`${path}: schema nests deeper than 64 levels (a $ref cycle?)`);
    return;
  }
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    const target = resolveRef(s.$ref, root, references);
    if (!target) errors.push(`${path}: unresolvable $ref ${s.$ref}`);
    else check(value, target.schema, path, target.root, references, errors, depth + 1);
  }
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((type) => matchesType(value, type))) {
      errors.push(`${path}: expected ${types.join(' or ')}, found ${typeOf(value)}`);
      return;
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((option) => deepEqual(option, value))) {
    errors.push(`${path}: expected one of ${JSON.stringify(s.enum)}`);
  }
  if ('const' in s && !deepEqual(s.const, value)) errors.push(`${path}: expected ${JSON.stringify(s.const)}`);
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && [...value].length < s.minLength)
      errors.push(`${path}: shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength)
      errors.push(`${path}: longer than ${s.maxLength}`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) {
      errors.push(`${path}: does not match ${s.pattern}`);
    }
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${path}: less than ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${path}: greater than ${s.maximum}`);
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) {
      errors.push(`${path}: not greater than ${s.exclusiveMinimum}`);
    }
    if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) {
      errors.push(`${path}: not less than ${s.exclusiveMaximum}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && value.length > s.maxItems)
      errors.push(`${path}: more than ${s.maxItems} items`);
    if (s.items !== undefined && !Array.isArray(s.items)) {
      for (let i = 0; i < value.length; i++) {
        check(value[i], s.items as JsonSchemaDocument, `${path}[${i}]`, root, references, errors, depth + 1);
      }
    }
  }
  if (matchesType(value, 'object')) {
    const object = value as Record<string, unknown>;
    if (Array.isArray(s.required)) {
      for (const key of s.required as string[])
        if (!(key in object)) errors.push(`${path}: missing required property "${key}"`);
    }
    const properties = (s.properties ?? {}) as Record<string, JsonSchemaDocument>;
    for (const [key, child] of Object.entries(object)) {
      const childPath = `${path}.${key}`;
      if (Object.hasOwn(properties, key))
        check(child, properties[key]!, childPath, root, references, errors, depth + 1);
      else if (s.additionalProperties === false) errors.push(`${path}: unexpected property "${key}"`);
      else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) {
        check(
          child,
          s.additionalProperties as JsonSchemaDocument,
          childPath,
          root,
          references,
          errors,
          depth + 1,
        );
      }
    }
  }
  const sub = (candidate: JsonSchemaDocument): boolean => {
    const inner: string[] = [];
    check(value, candidate, path, root, references, inner, depth + 1);
    return inner.length === 0;
  };
  if (Array.isArray(s.allOf))
    for (const part of s.allOf) check(value, part, path, root, references, errors, depth + 1);
  if (Array.isArray(s.anyOf) && !s.anyOf.some(sub)) errors.push(`${path}: matches none of anyOf`);
  if (Array.isArray(s.oneOf)) {
    const matches = s.oneOf.filter(sub).length;
    if (matches !== 1) errors.push(`${path}: matches ${matches} of oneOf, expected exactly 1`);
  }
  if (s.not !== undefined && sub(s.not as JsonSchemaDocument))
    errors.push(`${path}: matches a schema it must not`);
}
