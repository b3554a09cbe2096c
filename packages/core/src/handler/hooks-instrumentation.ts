import type { Instrumentation } from './instrumentation.js';
import type { KafkaHandlerHooks } from './types.js';

/** The `hooks` option, as one more instrumentation. */
export function hooksInstrumentation(
  hooks: KafkaHandlerHooks<unknown, unknown>,
): Instrumentation | undefined {
  const { onRecordError, onBatchEnd } = hooks;
  if (!onRecordError && !onBatchEnd) return undefined;
  const observer = {
    ...(onRecordError && {
      // The hook's result is returned so that a rejected promise (an async hook) is caught and logged.
      recordEnd: (record: Parameters<typeof onRecordError>[1], outcome: string, error?: Error): unknown =>
        outcome === 'failed' && error ? onRecordError.call(hooks, error, record) : undefined,
    }),
    ...(onBatchEnd && {
      end: ({ summary }: { summary: Parameters<typeof onBatchEnd>[0] }): unknown =>
        onBatchEnd.call(hooks, summary),
    }),
  };
  return { startBatch: () => observer };
}
