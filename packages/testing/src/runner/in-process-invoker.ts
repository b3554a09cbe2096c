import type { KafkaEvent } from '@kafka-lambda/core';
import { lambdaContext } from '../context.js';
import { InvocationTimeoutError } from './errors.js';
import type { Invoker, LocalHandler } from './types.js';

/**
 * Calls the handler in this process with a fresh {@link lambdaContext} per invocation. A handler that
 * outlives the timeout fails the invocation, as Lambda would; its promise cannot be cancelled, so it
 * keeps running in the background.
 */
export class InProcessInvoker implements Invoker {
  constructor(
    readonly handler: LocalHandler,
    readonly functionName: string,
  ) {}

  invoke(event: KafkaEvent, timeoutMs: number): Promise<unknown> {
    const context = lambdaContext({ timeoutMs, functionName: this.functionName });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new InvocationTimeoutError(timeoutMs)), timeoutMs);
    });
    const run = Promise.resolve().then(() => this.handler(event, context));
    return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {}
}
