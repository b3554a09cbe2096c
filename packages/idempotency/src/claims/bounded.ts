import { KafkaLambdaError } from '@kafka-lambda/core';

/** The reason a bounded call gives its signal and its caller when it runs out of time. */
export class StoreTimeoutError extends KafkaLambdaError {
  override name = 'StoreTimeoutError';
  readonly retryable = true;
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${Math.round(timeoutMs)} ms, the time the invocation had left for it`);
  }
}

/**
 * Calls `call` with a signal that aborts after `timeoutMs`, and rejects with a
 * {@link StoreTimeoutError} then, whether or not the callee honours its signal: a store that
 * ignores it cannot hold the invocation past its budget. A synchronous throw is a rejection.
 */
export async function bounded<T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = new StoreTimeoutError(timeoutMs);
      controller.abort(reason);
      reject(reason);
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => call(controller.signal)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
