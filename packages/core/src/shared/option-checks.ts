import { closestName } from './closest-name.js';
import { ConfigError } from './errors.js';

/**
 * The run-time shape of every option of `createKafkaHandler` that TypeScript checks and a JavaScript
 * caller (or an `as any`) may still get wrong: a mistake is a {@link ConfigError} at module load
 * naming the option and what was wrong, instead of a silent default (a misspelt `tombstones`
 * skipped tombstones) or a failure of every record (`value: json` instead of `json()`).
 *
 * Values are described by their type, never quoted, except the few enumerations (`onError`,
 * `tombstones`), whose values cannot be secrets. `producer`, `concurrency`, `ordering` and `use`
 * are checked in settings.ts, `deadlineReserveMs` in deadline.ts.
 *
 * @example
 * ```ts
 * checkOptionShapes({ value: json, process() {} }); // ConfigError: value is a function (`json`), not a deserializer: did you mean `json()`?
 * ```
 */
export function checkOptionShapes(options: Readonly<Record<string, unknown>>): void {
  if (options.process === undefined) throw new ConfigError('createKafkaHandler needs a `process` function');
  if (typeof options.process !== 'function')
    throw new ConfigError(
      `process must be a function (record, context), not ${describeShape(options.process)}`,
    );
  checkDeserializer('key', options.key);
  checkDeserializer('value', options.value);
  checkEnum('tombstones', options.tombstones, ['skip', 'process']);
  checkLogger(options.logger);
  if (options.logSummary !== undefined && typeof options.logSummary !== 'boolean')
    throw new ConfigError(`logSummary must be true or false, not ${describeShape(options.logSummary)}`);
}

/** `key` and `value`: an object (or callable) with `deserialize()`; a factory passed uncalled says so. */
function checkDeserializer(name: 'key' | 'value', option: unknown): void {
  if (option === undefined) return;
  const candidate = option as { deserialize?: unknown } | null;
  if ((typeof option === 'object' || typeof option === 'function') && candidate !== null) {
    if (typeof candidate.deserialize === 'function') return;
    if (typeof option === 'function')
      throw new ConfigError(`${name} is ${uncalledFactoryHint(option, 'a deserializer')}`);
    const serializerOnly = typeof (option as { serialize?: unknown }).serialize === 'function';
    throw new ConfigError(
      `${name} has no deserialize() method${serializerOnly ? ' (it is a serializer only)' : ''}: pass a deserializer such as json(), string() or bytes()`,
    );
  }
  throw new ConfigError(
    `${name} must be a deserializer (an object with deserialize()), not ${describeShape(option)}`,
  );
}

/**
 * A string option with a fixed set of values: quoted with a near miss, since none is a secret.
 * Absent is fine unless `required`.
 */
export function checkEnum(name: string, option: unknown, allowed: readonly string[], required = false): void {
  if ((option === undefined && !required) || (typeof option === 'string' && allowed.includes(option))) return;
  const list =
    allowed.length === 2
      ? `'${allowed[0]}' or '${allowed[1]}'`
      : `one of ${allowed.map((a) => `'${a}'`).join(', ')}`;
  if (typeof option !== 'string')
    throw new ConfigError(`${name} must be ${list}, not ${describeShape(option)}`);
  const near = closestName(option, allowed);
  throw new ConfigError(
    `${name} must be ${list}, not '${option.slice(0, 40)}'${near ? ` (did you mean '${near}'?)` : ''}`,
  );
}

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/** `logger` needs every method the handler calls: a missing one would throw at the first log line. */
function checkLogger(option: unknown): void {
  if (option === undefined) return;
  if (typeof option === 'function' && typeof (option as { info?: unknown }).info !== 'function')
    throw new ConfigError(`logger is ${uncalledFactoryHint(option, 'a logger')}`);
  if ((typeof option !== 'object' && typeof option !== 'function') || option === null)
    throw new ConfigError(
      `logger must be an object with debug(), info(), warn() and error() methods, not ${describeShape(option)}`,
    );
  const missing = LOGGER_METHODS.filter((m) => typeof (option as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0)
    throw new ConfigError(
      `logger needs debug(), info(), warn() and error() methods: it has no ${missing.map((m) => `${m}()`).join(', ')}`,
    );
}

/** How a wrong option is named in an error: its type, never its value (an option may hold a secret). */
export function describeShape(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/**
 * A function where an object was expected: most often a factory passed uncalled (`value: json`,
 * `logger: jsonLogger`), so the error says what to call.
 */
export function uncalledFactoryHint(fn: unknown, expected: string): string {
  const name = (fn as { name?: unknown }).name;
  if (typeof name !== 'string' || name === '' || name === 'anonymous')
    return `a function, not ${expected}: call the function that makes it`;
  const call = (fn as (...args: unknown[]) => unknown).length > 0 ? `${name}(…)` : `${name}()`;
  return `a function (\`${name}\`), not ${expected}: did you mean \`${call}\`?`;
}
