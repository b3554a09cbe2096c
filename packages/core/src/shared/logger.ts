/**
 * The logging surface the handler needs. A Powertools `Logger` satisfies it as is, and so does a
 * `console`-shaped object.
 */
export interface Logger {
  /** Detail for troubleshooting; off by default. */
  debug(message: string, ...extra: Array<Record<string, unknown>>): void;
  /** The batch summary and other routine events. */
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  /** Something degraded but handled (a dead letter, the deadline guard). */
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
  /** A failed record, delivery or flush. */
  error(message: string, ...extra: Array<Record<string, unknown>>): void;
}

/** Minimum level a {@link jsonLogger} writes; `silent` writes nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Options of {@link jsonLogger}. */
export interface JsonLoggerOptions {
  /** Defaults to `POWERTOOLS_LOG_LEVEL`, `AWS_LAMBDA_LOG_LEVEL`, `LOG_LEVEL`, then `info`. */
  level?: LogLevel;
  /** Where lines go; one JSON document per call. Defaults to stdout. */
  write?: (line: string) => void;
  /** Keys merged into every line, e.g. `{ service: 'settlement' }`. */
  context?: Record<string, unknown>;
}

/**
 * A small structured logger: one JSON object per line, which CloudWatch Logs Insights can query.
 * Errors are reduced to name, message and stack.
 *
 * @example
 * ```ts
 * const logger = jsonLogger({ level: 'debug', context: { service: 'settlement' } });
 * logger.info('batch done', { records: 10 });
 * ```
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? levelFromEnvironment()];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.context ?? {};
  const log =
    (level: Exclude<LogLevel, 'silent'>) =>
    (message: string, ...extra: Array<Record<string, unknown>>) => {
      if (RANK[level] < threshold) return;
      const entry: Record<string, unknown> = {
        level: level.toUpperCase(),
        message,
        timestamp: new Date().toISOString(),
      };
      Object.assign(entry, base);
      for (const fields of extra) Object.assign(entry, fields);
      // The replacer makes stringify several times slower: only lines carrying objects need it.
      write(flat(entry) ? JSON.stringify(entry) : JSON.stringify(entry, errorReplacer));
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function levelFromEnvironment(): LogLevel {
  const raw = (
    process.env.POWERTOOLS_LOG_LEVEL ??
    process.env.AWS_LAMBDA_LOG_LEVEL ??
    process.env.LOG_LEVEL ??
    'info'
  )
    .toLowerCase()
    .replace('warning', 'warn');
  return raw in RANK ? (raw as LogLevel) : 'info';
}

/** No nested object (an Error among them) and no bigint: plain JSON.stringify says it all. */
function flat(entry: Record<string, unknown>): boolean {
  for (const key in entry) {
    const value = entry[key];
    if ((typeof value === 'object' && value !== null) || typeof value === 'bigint') return false;
  }
  return true;
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message, stack } = value;
    return { name, message, stack, ...(value.cause === undefined ? {} : { cause: value.cause }) };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
