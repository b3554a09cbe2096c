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
      recordEnd: (record: Parameters<typeof onRecordError>[1], outcome: string, error?: Error) => {
        if (outcome === 'failed' && error) onRecordError.call(hooks, error, record);
      },
    }),
    ...(onBatchEnd && {
      end: ({ summary }: { summary: Parameters<typeof onBatchEnd>[0] }) => onBatchEnd.call(hooks, summary),
    }),
  };
  return { startBatch: () => observer };
}
