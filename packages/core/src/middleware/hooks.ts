import type { BatchSummary } from '../contract/lambda.js';
import type { KafkaRecord } from '../record/record.js';
import { closestName } from '../shared/closest-name.js';
import { ConfigError } from '../shared/errors.js';
import type { BatchMiddleware } from './batch-middleware.js';

/**
 * Callbacks into the handler's life, e.g. for alerts or metrics; a hook that throws, or an async
 * hook whose promise rejects, is logged and ignored (never awaited: a hook cannot delay the batch).
 */
export interface KafkaHandlerHooks<K = unknown, V = unknown> {
  /** Called for every failed record, before the error policy acts. */
  onRecordError?(error: Error, record: KafkaRecord<K, V>): void;
  /** Called once per invocation, after the flush. */
  onBatchEnd?(summary: BatchSummary): void;
}

const HOOKS = ['onRecordError', 'onBatchEnd'] as const;

/**
 * The smallest middleware: a callback for each failed record and one at each batch's end. Its
 * hooks are checked where it is created (module scope).
 *
 * @example
 * ```ts
 * import { createKafkaHandler, hooks, json } from '@kafka-lambda/core';
 *
 * export const handler = createKafkaHandler({
 *   value: json<{ id: string }>(),
 *   use: [
 *     hooks({
 *       onRecordError: (error, record) => console.error(`${record.topic}@${record.offset}: ${error.message}`),
 *       onBatchEnd: (summary) => console.log(`${summary.failed} of ${summary.records} failed`),
 *     }),
 *   ],
 *   process(record) {
 *     console.log(record.value.id);
 *   },
 * });
 * ```
 */
export function hooks<K = unknown, V = unknown>(
  callbacks: KafkaHandlerHooks<K, V>,
): BatchMiddleware<NoInfer<K>, NoInfer<V>> {
  checkHooks(callbacks);
  const { onRecordError, onBatchEnd } = callbacks;
  const observer = {
    ...(onRecordError && {
      // The hook's result is returned so that a rejected promise (an async hook) is caught and logged.
      recordEnd: (record: KafkaRecord<K, V>, outcome: string, error?: Error): unknown =>
        outcome === 'failed' && error ? onRecordError.call(callbacks, error, record) : undefined,
    }),
    ...(onBatchEnd && {
      end: ({ summary }: { summary: BatchSummary }): unknown => onBatchEnd.call(callbacks, summary),
    }),
  };
  return { name: 'hooks', startBatch: () => observer as never };
}

function checkHooks(option: unknown): void {
  if (typeof option !== 'object' || option === null || Array.isArray(option))
    throw new ConfigError(
      `hooks() takes an object { onRecordError?, onBatchEnd? }, not ${option === null ? 'null' : Array.isArray(option) ? 'an array' : `a value of type ${typeof option}`}`,
    );
  for (const [name, hook] of Object.entries(option)) {
    if (!(HOOKS as readonly string[]).includes(name)) {
      const near = closestName(name, HOOKS);
      throw new ConfigError(`hooks() has no \`${name}\`${near ? ` (did you mean \`${near}\`?)` : ''}`);
    }
    if (hook !== undefined && typeof hook !== 'function')
      throw new ConfigError(`hooks(): ${name} must be a function, not a value of type ${typeof hook}`);
  }
}
