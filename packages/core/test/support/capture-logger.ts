import type { Logger } from '@kafka-lambda/core';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /** Every field object the line was logged with, merged (the request's fields too). */
  readonly fields: Record<string, unknown>;
}

/** What {@link captureLogger} returns: a logger that keeps its lines. */
export interface CapturedLogger extends Logger {
  readonly lines: LogLine[];
  /** The lines at one level. */
  at(level: LogLine['level']): LogLine[];
  /**
   * Every line as text, each field object apart and errors in full ({@link errorText}): what a secret
   * audit searches, since a secret can hide in an error's stack, cause or own fields.
   */
  text(): string;
}

/**
 * The project's one capturing logger, for tests that check what an operator reads (core's unit tests)
 * and what could leak into logs (the reliability suites' secret audit).
 */
export function captureLogger(): CapturedLogger {
  const lines: LogLine[] = [];
  // Each line's field objects as given, for text(): merging them could hide an overwritten value.
  const given: Array<ReadonlyArray<Record<string, unknown>>> = [];
  const log =
    (level: LogLine['level']) =>
    (message: string, ...extra: Array<Record<string, unknown>>) => {
      lines.push({ level, message, fields: Object.assign({}, ...extra) });
      given.push(extra);
    };
  return {
    lines,
    at: (level) => lines.filter((line) => line.level === level),
    text: () =>
      lines
        .map(({ level, message }, i) => {
          const parts = given[i]!.map((fields) =>
            Object.entries(fields)
              .map(([key, value]) => `${key}=${value instanceof Error ? errorText(value) : safeJson(value)}`)
              .join(' '),
          );
          return `${level.toUpperCase()} ${message} ${parts.join(' ')}`;
        })
        .join('\n'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
}

/** Everything an error carries that could end up in a log: name, message, stack, causes, own fields. */
export function errorText(error: unknown, depth = 0): string {
  if (depth > 8 || error === undefined || error === null) return '';
  if (!(error instanceof Error)) {
    try {
      return JSON.stringify(error) ?? String(error);
    } catch {
      return String(error);
    }
  }
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    const value = (error as unknown as Record<string, unknown>)[key];
    own[key] = value instanceof Error ? errorText(value, depth + 1) : value;
  }
  let fields = '';
  try {
    fields = JSON.stringify(own, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    fields = '';
  }
  return [error.name, error.message, error.stack ?? '', fields, errorText(error.cause, depth + 1)].join('\n');
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
  } catch {
    return String(value);
  }
}
