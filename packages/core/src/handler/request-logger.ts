import type { Logger } from '../logger.js';
import type { LambdaContext } from './types.js';

/** The handler's logger for one invocation: every line carries the request id and the function name. */
export function requestLogger(logger: Logger, context: LambdaContext | undefined): Logger {
  const fields: Record<string, unknown> = {};
  if (context?.awsRequestId) fields.requestId = context.awsRequestId;
  if (context?.functionName) fields.functionName = context.functionName;
  if (Object.keys(fields).length === 0) return logger;
  return {
    debug: (message, ...extra) => logger.debug(message, fields, ...extra),
    info: (message, ...extra) => logger.info(message, fields, ...extra),
    warn: (message, ...extra) => logger.warn(message, fields, ...extra),
    error: (message, ...extra) => logger.error(message, fields, ...extra),
  };
}
