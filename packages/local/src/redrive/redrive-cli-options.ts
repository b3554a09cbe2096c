import { parseArgs } from 'node:util';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import type { RedriveOptions } from './redrive.js';

export const REDRIVE_USAGE = `Usage: kafka-lambda redrive --from <dead-letter topic> [options]

Sends the dead letters of a topic back to their source topic and partition (or --to another topic)
with their original key, value and headers: the kafka-lambda.dlq.* headers removed,
kafka-lambda.redrive.count added. Reads the topic from its start to its end when the redrive starts.
A dead letter truncated to fit message.max.bytes is reported and never sent back.

Options:
  --from <topic>                   the dead-letter topic                               (required)
  --to <topic>                     send every record here instead (partitioned by key)
  --brokers, -b <host:port,...>    default $KAFKA_BROKERS, else 127.0.0.1:9092
  --since <time>                   only records that failed at or after this time (ISO 8601 or epoch ms)
  --until <time>                   only records that failed before this time
  --source-partition <n>           only records of this partition of their source topic
  --error-class <name>             only records that failed with this error class (e.g. RangeError)
  --rate <n>                       at most n records a second                          (default 100)
  --dry-run                        print what would move, one JSON line each; send nothing
  --config <key=value>             librdkafka property for the consumer and the producer (repeatable)
  --help, -h                       show this help

Exit codes: 0 done, 1 the broker refused a record or the topic could not be read, 2 bad arguments.`;

/**
 * The options of `kafka-lambda redrive` from its arguments (after the subcommand).
 *
 * @example
 * ```ts
 * parseRedriveArgs(['--from', 'orders.dlq', '--error-class', 'RangeError'], {}).options.filter; // { errorClass: 'RangeError', … }
 * ```
 */
export function parseRedriveArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { help: true } | { help: false; options: RedriveOptions } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      brokers: { type: 'string', short: 'b' },
      since: { type: 'string' },
      until: { type: 'string' },
      'source-partition': { type: 'string' },
      'error-class': { type: 'string' },
      rate: { type: 'string' },
      'dry-run': { type: 'boolean' },
      config: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  if (!values.from) throw new InvalidTestInputError('--from', 'the dead-letter topic');
  const config: Record<string, string> = {};
  for (const pair of values.config ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidTestInputError('--config', 'key=value');
    config[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const partition = values['source-partition'];
  if (partition !== undefined && !/^\d+$/.test(partition))
    throw new InvalidTestInputError('--source-partition', 'a partition number');
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0)) throw new InvalidTestInputError('--rate', 'a positive number');
  return {
    help: false,
    options: {
      brokers: values.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      from: values.from,
      to: values.to,
      filter: {
        since: time(values.since, '--since'),
        until: time(values.until, '--until'),
        sourcePartition: partition === undefined ? undefined : Number(partition),
        errorClass: values['error-class'],
      },
      dryRun: values['dry-run'] ?? false,
      ratePerSecond: rate,
      config,
    },
  };
}

function time(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidTestInputError(flag, 'an ISO 8601 time or epoch milliseconds');
  return ms;
}
