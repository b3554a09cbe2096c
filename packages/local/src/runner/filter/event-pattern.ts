import { InvalidTestInputError } from '@kafka-lambda/testing';

/** An event filtering pattern, as a `FilterCriteria` pattern's JSON parses. */
export type EventPattern = { readonly [field: string]: unknown };

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);
const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

/**
 * Checks a pattern against Lambda's filter rule syntax
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html): fields map to
 * nested patterns or to arrays of rules; a rule is a value (string, number, boolean, null) or one
 * operator object (`prefix`, `suffix`, `equals-ignore-case`, `anything-but`, `numeric`, `exists`);
 * `$or` takes an array of patterns. Throws {@link InvalidTestInputError} naming the offending path.
 *
 * @example
 * ```ts
 * validatePattern({ value: { device_ID: [{ prefix: 'AB' }] } }, 'Filters[0].Pattern');
 * ```
 */
export function validatePattern(pattern: unknown, path: string): asserts pattern is EventPattern {
  if (!isObject(pattern)) throw new InvalidTestInputError(path, 'a JSON object pattern');
  for (const [field, rule] of Object.entries(pattern)) {
    const at = `${path}.${field}`;
    if (field === '$or') {
      if (!Array.isArray(rule) || rule.length < 2)
        throw new InvalidTestInputError(at, 'an array of two or more patterns');
      for (const [i, sub] of rule.entries()) validatePattern(sub, `${at}[${i}]`);
    } else if (Array.isArray(rule)) {
      if (rule.length === 0) throw new InvalidTestInputError(at, 'a non-empty array of rules');
      for (const [i, r] of rule.entries()) validateRule(r, `${at}[${i}]`);
    } else if (isObject(rule)) validatePattern(rule, at);
    else throw new InvalidTestInputError(at, 'an array of rules or a nested pattern');
  }
}

function validateRule(rule: unknown, path: string): void {
  if (rule === null || ['string', 'number', 'boolean'].includes(typeof rule)) return;
  if (!isObject(rule)) throw new InvalidTestInputError(path, 'a value or an operator object');
  const keys = Object.keys(rule);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined || !OPERATORS.has(op))
    throw new InvalidTestInputError(path, `one operator of ${[...OPERATORS].join(', ')}`);
  const arg = rule[op];
  const at = `${path}.${op}`;
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new InvalidTestInputError(at, 'a string');
      return;
    case 'exists':
      if (typeof arg !== 'boolean') throw new InvalidTestInputError(at, 'true or false');
      return;
    case 'anything-but':
      if (Array.isArray(arg) ? arg.some((v) => !isScalar(v)) : !isScalar(arg))
        throw new InvalidTestInputError(at, 'a value or an array of values');
      return;
    case 'numeric': {
      const ok =
        Array.isArray(arg) &&
        (arg.length === 2 || arg.length === 4) &&
        arg.every((v, i) => (i % 2 === 0 ? NUMERIC_OPS.has(v as string) : typeof v === 'number'));
      if (!ok) throw new InvalidTestInputError(at, 'a comparison like [">", 0] or [">", 0, "<=", 5]');
      return;
    }
  }
}

/**
 * Whether `data` matches the (validated) pattern, as Lambda's event filtering decides: every field
 * of the pattern must match (AND); a field's rules are alternatives (OR); a rule against an array
 * matches when one element does; `$or` matches when one of its patterns does.
 *
 * @example
 * ```ts
 * matchesPattern({ value: { kind: ['trade'] } }, { value: { kind: 'trade' } }); // true
 * ```
 */
export function matchesPattern(pattern: EventPattern, data: unknown): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    if (field === '$or') return (rule as EventPattern[]).some((sub) => matchesPattern(sub, data));
    const present = isObject(data) && Object.hasOwn(data, field);
    const value = present ? (data as Record<string, unknown>)[field] : undefined;
    if (!Array.isArray(rule)) {
      const nested = rule as EventPattern;
      const candidates = Array.isArray(value) ? value : [value];
      return present && candidates.some((item) => isObject(item) && matchesPattern(nested, item));
    }
    return rule.some((r) => matchesRule(r, present, value));
  });
}

function matchesRule(rule: unknown, present: boolean, value: unknown): boolean {
  if (isObject(rule) && 'exists' in rule) {
    // `exists` concerns leaves: an object or an empty array is no value.
    const leaf = present && !isObject(value) && !(Array.isArray(value) && value.length === 0);
    return rule.exists === leaf;
  }
  if (!present) return false;
  const values = Array.isArray(value) ? value : [value];
  if (!isObject(rule)) return values.some((v) => v === rule);
  const [op, arg] = Object.entries(rule)[0]!;
  switch (op) {
    case 'prefix':
      return values.some((v) => typeof v === 'string' && v.startsWith(arg as string));
    case 'suffix':
      return values.some((v) => typeof v === 'string' && v.endsWith(arg as string));
    case 'equals-ignore-case':
      return values.some((v) => typeof v === 'string' && v.toLowerCase() === (arg as string).toLowerCase());
    case 'anything-but': {
      const excluded = Array.isArray(arg) ? arg : [arg];
      return values.length > 0 && values.every((v) => isScalar(v) && !excluded.includes(v));
    }
    case 'numeric':
      return values.some((v) => typeof v === 'number' && numericHolds(arg as Array<string | number>, v));
    default:
      return false;
  }
}

function numericHolds(conditions: ReadonlyArray<string | number>, v: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const ok =
      conditions[i] === '='
        ? v === bound
        : conditions[i] === '<'
          ? v < bound
          : conditions[i] === '<='
            ? v <= bound
            : conditions[i] === '>'
              ? v > bound
              : v >= bound;
    if (!ok) return false;
  }
  return true;
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
