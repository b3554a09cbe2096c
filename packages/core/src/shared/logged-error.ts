import { KafkaLambdaError } from './errors.js';

/** Stack frames kept for an error thrown by user code (ours name the record in their message). */
const FRAMES = 3;
/** Causes followed, so a cycle or a long chain cannot grow a line without bound. */
const MAX_DEPTH = 3;
/** Set to `1` or `true` to ask for the full stack of every failed record (troubleshooting). */
export const RECORD_STACKS_VARIABLE = 'KAFKA_LAMBDA_LOG_RECORD_STACKS';

/** What a record failure's log line carries about its error. */
export interface LoggedError {
  readonly name: string;
  readonly message: string;
  /** The first stack frames of an error that is not the SDK's own (whose message says where). */
  readonly at?: readonly string[];
  /** The whole stack, only when `KAFKA_LAMBDA_LOG_RECORD_STACKS` asks for it. */
  readonly stack?: string;
  readonly cause?: LoggedError | string;
}

/**
 * A compact form of an error for the per-record failure lines: name, message, the first three stack
 * frames of a user's error (none for the SDK's own, whose message names the record), and the causes.
 * A batch of 10,000 bad records logs 10,000 short lines, not 10,000 full stacks; a plain object, so
 * loggers that format errors (Powertools) do not merge the error's own fields into theirs. With the
 * environment variable `KAFKA_LAMBDA_LOG_RECORD_STACKS=1` (or `true`), each error carries its full
 * `stack` instead of `at`: asked for while troubleshooting, with any logger.
 *
 * @example
 * ```ts
 * batch.logger.error('record failed; continuing (onError: log)', { ...whereOf(failure), error: loggedError(failure.error) });
 * ```
 */
export function loggedError(error: unknown, depth = 0): LoggedError | string {
  if (!(error instanceof Error)) return String(error);
  const asked = process.env[RECORD_STACKS_VARIABLE];
  if (asked === '1' || asked === 'true') {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
      ...(error.cause !== undefined && depth < MAX_DEPTH
        ? { cause: loggedError(error.cause, depth + 1) }
        : {}),
    };
  }
  const frames =
    error instanceof KafkaLambdaError
      ? []
      : (error.stack ?? '')
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .slice(0, FRAMES)
          .map((line) => line.trim().slice(3));
  return {
    name: error.name,
    message: error.message,
    ...(frames.length > 0 ? { at: frames } : {}),
    ...(error.cause !== undefined && depth < MAX_DEPTH ? { cause: loggedError(error.cause, depth + 1) } : {}),
  };
}
