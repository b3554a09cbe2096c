import type { LambdaContext } from '../contract/lambda.js';
import type { Logger } from '../shared/logger.js';

/** The handler's logger for one invocation: every line carries the request id and the function name. */
export function requestLogger(logger: Logger, context: LambdaContext | undefined): Logger {
  const fields: Record<string, unknown> = {};
  if (context?.awsRequestId) fields.requestId = context.awsRequestId;
  if (context?.functionName) fields.functionName = context.functionName;
  if (fields.requestId === undefined && fields.functionName === undefined) return logger;
  return new RequestLogger(logger, fields);
}

/** A class rather than four closures: one of these is made per invocation. */
class RequestLogger implements Logger {
  readonly #logger: Logger;
  readonly #fields: Record<string, unknown>;

  constructor(logger: Logger, fields: Record<string, unknown>) {
    this.#logger = logger;
    this.#fields = fields;
  }

  debug(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#logger.debug(message, this.#fields, ...extra);
  }
  info(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#logger.info(message, this.#fields, ...extra);
  }
  warn(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#logger.warn(message, this.#fields, ...extra);
  }
  error(message: string, ...extra: Array<Record<string, unknown>>): void {
    this.#logger.error(message, this.#fields, ...extra);
  }
}
