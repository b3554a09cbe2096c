import type { KafkaEvent } from '@kafka-lambda/core/events';
import { lambdaContext } from '@kafka-lambda/testing';
import { InvocationTimeoutError } from './errors.js';
import type { Invoker, LocalHandler } from './types.js';

/** How long closing the handler's producer may take (librdkafka's flush, then disconnect). */
const PRODUCER_CLOSE_MS = 2_000;

/** The producer a `createKafkaHandler` handler exposes, as far as closing it goes. */
interface ClosableProducer {
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Calls the handler in this process with a fresh {@link lambdaContext} per invocation. A handler that
 * outlives the timeout fails the invocation, as Lambda would; its promise cannot be cancelled, so it
 * keeps running in the background.
 *
 * `close()` closes the handler's own producer (`handler.producer`) when asked to: the runner stops, and
 * the process can exit once the native client's threads are gone.
 */
export class InProcessInvoker implements Invoker {
  constructor(
    readonly handler: LocalHandler,
    readonly functionName: string,
    readonly closeProducer = false,
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

  async close(): Promise<void> {
    if (!this.closeProducer) return;
    const producer = (this.handler as { producer?: Partial<ClosableProducer> }).producer;
    if (typeof producer?.close === 'function') await producer.close(PRODUCER_CLOSE_MS);
  }
}
