import { parseArgs } from 'node:util';
import { InvalidTestInputError } from '../errors.js';
import type { EventSourceOptions, RetriesExhaustedAction, StartingPosition } from './types.js';

/** What `kafka-lambda-local` was asked to do. */
export interface CliCommand {
  readonly help: boolean;
  readonly handlerFile: string;
  readonly exportName: string;
  /** Runner options, minus the handler (loaded from `handlerFile`, or run by the emulator). */
  readonly options: Omit<EventSourceOptions, 'handler'>;
}

export const CLI_USAGE = `Usage: kafka-lambda-local <handler-file> --topic <name> [options]

Consumes Kafka topics and invokes a built Lambda handler file with ESM-shaped batches.

Options:
  --topic, -t <name>               topic to consume (repeat or comma-separate)       (required)
  --brokers, -b <host:port,...>    default $KAFKA_BROKERS, else 127.0.0.1:9092; the handler sees
                                   it as KAFKA_BROKERS (what envConfig() reads)
  --export <name>                  exported handler function                         (default handler)
  --group-id <id>                  consumer group (default kafka-lambda-local-<uuid>)
  --batch-size <n>                 1-10000                                           (default 100)
  --batch-window-ms <ms>           0-300000                                          (default 500)
  --starting-position <pos>        TRIM_HORIZON | LATEST                             (default TRIM_HORIZON)
  --report-batch-item-failures     honour { batchItemFailures } responses
  --max-retries <n>                retries of a failing batch, or "infinite"         (default 3)
  --on-retries-exhausted <action>  stop | skip                                       (default stop)
  --timeout-ms <ms>                function timeout                                  (default 60000)
  --concurrency <n>                invocations in flight, on distinct partitions     (default 1)
  --msk                            send "aws:kafka" events with an eventSourceArn (default SelfManagedKafka)
  --sink-connector                 invoke as Confluent's Lambda Sink Connector (sync mode) instead of the ESM
  --from-failures                  the topics are an ESM on-failure destination: replay the original records
  --rie                            run the handler in the Runtime Interface Emulator ($AWS_LAMBDA_RIE_BIN)
  --rie-bin <path>                 the aws-lambda-rie binary (implies --rie)
  --consumer-config <key=value>    extra librdkafka consumer property (repeatable)
  --help, -h                       show this help

Stop with Ctrl-C (SIGINT) or SIGTERM: the in-flight batch finishes and is committed, the consumer
leaves its group, the handler's producer is closed, and the process exits with 0. A second signal
exits at once (130 for SIGINT, 143 for SIGTERM).
Exit codes: 0 stopped on request; 1 retries exhausted (--on-retries-exhausted stop) or another fatal
error; 2 bad command line or no such export.`;

/** Parses `kafka-lambda-local`'s command line. Throws {@link InvalidTestInputError} on bad input. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new InvalidTestInputError('arguments', `valid options (${(error as Error).message}); see --help`);
  }
  const { values, positionals } = parsed;
  if (values.help)
    return { help: true, handlerFile: '', exportName: 'handler', options: { brokers: '', topics: [] } };
  const handlerFile = positionals[0];
  if (!handlerFile || positionals.length > 1)
    throw new InvalidTestInputError('<handler-file>', 'exactly one handler file');
  const topics = (values.topic ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);
  if (topics.length === 0) throw new InvalidTestInputError('--topic', 'at least one topic');
  const consumerConfig: Record<string, string> = {};
  for (const pair of values['consumer-config'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidTestInputError('--consumer-config', 'key=value');
    consumerConfig[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const exportName = values.export ?? 'handler';
  const useRie = Boolean(values.rie || values['rie-bin']);
  const maxRetries = values['max-retries'];
  const options: Omit<EventSourceOptions, 'handler'> = {
    brokers: values.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    topics,
    groupId: values['group-id'],
    batchSize: int(values['batch-size'], '--batch-size'),
    batchWindowMs: int(values['batch-window-ms'], '--batch-window-ms'),
    startingPosition: values['starting-position'] as StartingPosition | undefined,
    reportBatchItemFailures: values['report-batch-item-failures'] ?? false,
    maxRetries: maxRetries === 'infinite' ? Number.POSITIVE_INFINITY : int(maxRetries, '--max-retries'),
    onRetriesExhausted: values['on-retries-exhausted'] as RetriesExhaustedAction | undefined,
    timeoutMs: int(values['timeout-ms'], '--timeout-ms'),
    concurrency: int(values.concurrency, '--concurrency'),
    eventSource: values.msk ? 'aws:kafka' : 'SelfManagedKafka',
    mode: values['sink-connector'] ? 'sink-connector' : 'esm',
    fromFailures: values['from-failures'] ?? false,
    consumerConfig,
    ...(useRie ? { rie: { handlerFile, exportName, rieBin: values['rie-bin'], inheritOutput: true } } : {}),
  };
  if (options.startingPosition && !['TRIM_HORIZON', 'LATEST'].includes(options.startingPosition)) {
    throw new InvalidTestInputError('--starting-position', 'TRIM_HORIZON or LATEST');
  }
  return { help: false, handlerFile, exportName, options };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      topic: { type: 'string', short: 't', multiple: true },
      brokers: { type: 'string', short: 'b' },
      export: { type: 'string' },
      'group-id': { type: 'string' },
      'batch-size': { type: 'string' },
      'batch-window-ms': { type: 'string' },
      'starting-position': { type: 'string' },
      'report-batch-item-failures': { type: 'boolean' },
      'max-retries': { type: 'string' },
      'on-retries-exhausted': { type: 'string' },
      'timeout-ms': { type: 'string' },
      concurrency: { type: 'string' },
      msk: { type: 'boolean' },
      'sink-connector': { type: 'boolean' },
      'from-failures': { type: 'boolean' },
      rie: { type: 'boolean' },
      'rie-bin': { type: 'string' },
      'consumer-config': { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function int(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidTestInputError(flag, 'an integer');
  return n;
}
