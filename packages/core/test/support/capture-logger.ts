import type { Logger } from '@kafka-lambda/core';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /** Every field object the line was logged with, merged (the request's fields too). */
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps its lines, for tests that check what an operator reads. */
export function captureLogger(): Logger & { lines: LogLine[]; at(level: LogLine['level']): LogLine[] } {
  const lines: LogLine[] = [];
  const log =
    (level: LogLine['level']) =>
    (message: string, ...extra: Array<Record<string, unknown>>) =>
      void lines.push({ level, message, fields: Object.assign({}, ...extra) });
  return {
    lines,
    at: (level) => lines.filter((line) => line.level === level),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
  };
}
