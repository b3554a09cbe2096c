import { parseArgs } from 'node:util';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import { loadTemplateEsm } from './template/template-esm.js';
import type {
  EsmSchemaRegistryOptions,
  EventSourceOptions,
  RetriesExhaustedAction,
  StartingPosition,
} from './types.js';

/** What `kafka-lambda-local` was asked to do. */
export interface CliCommand {
  readonly help: boolean;
  readonly handlerFile: string;
  readonly exportName: string;
  /** Runner options, minus the handler (loaded from `handlerFile`, or run by the emulator). */
  readonly options: Omit<EventSourceOptions, 'handler'>;
  /** `--from-failures-dir`: replay the on-failure files of this folder instead of consuming Kafka. */
  readonly fromFailuresDir?: string;
  /** `--ordering`: the handler's `ordering` when its code sets none (KAFKA_LAMBDA_ORDERING). */
  readonly ordering?: 'partition' | 'key' | 'none';
  /** With `--template`: where the mapping was read, and the settings the runner does not emulate. */
  readonly template?: { readonly mapping: string; readonly notEmulated: readonly string[] };
}

export const CLI_USAGE = `Usage: kafka-lambda-local <handler-file> --topic <name> [options]
       kafka-lambda-local <handler-file> --template template.yaml [--function <LogicalId>] [options]

Consumes Kafka topics and invokes a built Lambda handler file with ESM-shaped batches.

Options:
  --template <file>                read the function's Kafka event source mapping (SAM MSK /
                                   SelfManagedKafka event or AWS::Lambda::EventSourceMapping): topics,
                                   batch size and window, starting position, every error control, the
                                   consumer group and the function timeout; the flags below win
  --function <LogicalId>           the function, when the template maps Kafka to several
  --parameter-overrides <K=V ...>  template parameter values (repeatable)
  --topic, -t <name>               topic to consume (repeat or comma-separate)   (required without --template)
  --brokers, -b <host:port,...>    default $KAFKA_BROKERS, else 127.0.0.1:9092; the handler sees
                                   it as KAFKA_BROKERS (what envConfig() reads)
  --export <name>                  exported handler function                         (default handler)
  --group-id <id>                  consumer group (default kafka-lambda-local-<uuid>)
  --batch-size <n>                 1-10000                                           (default 100)
  --batch-window-ms <ms>           0-300000                                          (default 500)
  --starting-position <pos>        TRIM_HORIZON | LATEST | AT_TIMESTAMP              (default TRIM_HORIZON)
  --starting-position-timestamp <t> with AT_TIMESTAMP: Unix seconds or an ISO 8601 time
  --report-batch-item-failures     honour { batchItemFailures } responses (--no-… to turn off)
  --max-retries, --maximum-retry-attempts <n>
                                   retries of a failing batch; -1 or "infinite" forever, 10 with an
                                   on-failure destination, as AWS (write -1 as =-1)  (default 3)
  --bisect-batch-on-function-error split a batch the function threw on in two, retry each half
                                   (--no-… to turn off)
  --maximum-record-age-seconds <s> records older than this go to the destination unprocessed (-1: never)
  --on-failure-destination <uri>   kafka://<topic> (same cluster), or an S3 bucket / SQS queue / SNS
                                   topic ARN written as JSON files under --failure-dir
  --failure-dir <dir>              default .kafka-lambda-local/failures
  --on-retries-exhausted <action>  without a destination: stop | skip                (default stop)
  --filter-criteria <json>         FilterCriteria, as the AWS CLI takes it: '{"Filters":[{"Pattern":"..."}]}'
  --schema-registry-uri <url>      SchemaRegistryConfig: decode records with this Confluent-compatible
                                   registry before filtering and invoking (with --template: default
                                   $SCHEMA_REGISTRY_URL, else the template's)
  --event-record-format <format>   JSON | SOURCE                                     (default JSON)
  --schema-validation-attribute <a> KEY | VALUE, the parts decoded (repeat or comma-separate)
                                                                                     (default VALUE)
  --metrics <groups>               MetricsConfig: EventCount, KafkaMetrics (comma-separate), emitted as
                                   CloudWatch EMF lines on stderr when the runner stops
  --timeout-ms <ms>                function timeout                                  (default 60000)
  --concurrency <n>                invocations in flight, on distinct partitions     (default 1)
  --ordering <mode>                the handler's ordering: partition | key | none, when its code sets
                                   none (passed as KAFKA_LAMBDA_ORDERING; see docs/ordering.md)
  --msk                            send "aws:kafka" events with an eventSourceArn (default SelfManagedKafka)
  --sink-connector                 invoke as Confluent's Lambda Sink Connector (sync mode) instead of the ESM
  --from-failures                  the topics are an ESM on-failure destination: replay the original records
  --from-failures-dir <dir>        replay the S3 on-failure files a run wrote (e.g. <failure-dir>/s3/<bucket>),
                                   one invocation per file, then exit (1 if one failed); no Kafka consumed
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
  if (values.function !== undefined && values.template === undefined)
    throw new InvalidTestInputError('--function', 'a --template to find it in');
  const template = values.template
    ? loadTemplateEsm(values.template, {
        functionName: values.function,
        parameters: keyValues(values['parameter-overrides'] ?? [], '--parameter-overrides'),
      })
    : undefined;
  const fromFailuresDir = values['from-failures-dir'];
  if (topics.length === 0 && !template && !fromFailuresDir)
    throw new InvalidTestInputError('--topic', 'at least one topic');
  const consumerConfig: Record<string, string> = {};
  for (const pair of values['consumer-config'] ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidTestInputError('--consumer-config', 'key=value');
    consumerConfig[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const exportName = values.export ?? 'handler';
  const useRie = Boolean(values.rie || values['rie-bin']);
  const maxRetries = values['max-retries'] ?? values['maximum-retry-attempts'];
  // Flags win over the template: only the flags given are laid over it.
  const flags: Partial<Omit<EventSourceOptions, 'handler'>> = {
    topics: topics.length > 0 ? topics : undefined,
    groupId: values['group-id'],
    batchSize: int(values['batch-size'], '--batch-size'),
    batchWindowMs: int(values['batch-window-ms'], '--batch-window-ms'),
    startingPosition: values['starting-position'] as StartingPosition | undefined,
    startingPositionTimestamp: timestampOf(values['starting-position-timestamp']),
    reportBatchItemFailures: toggle(values, 'report-batch-item-failures'),
    maxRetries: maxRetries === 'infinite' ? Number.POSITIVE_INFINITY : int(maxRetries, '--max-retries'),
    bisectBatchOnFunctionError: toggle(values, 'bisect-batch-on-function-error'),
    maxRecordAgeSeconds: int(values['maximum-record-age-seconds'], '--maximum-record-age-seconds'),
    onFailureDestination: values['on-failure-destination'],
    failureDir: values['failure-dir'],
    filterCriteria: json(
      values['filter-criteria'],
      '--filter-criteria',
    ) as EventSourceOptions['filterCriteria'],
    schemaRegistry: schemaRegistryOf(values, template?.options.schemaRegistry, env),
    metrics: values.metrics
      ? (values.metrics
          .flatMap((m) => m.split(','))
          .map((m) => m.trim())
          .filter(Boolean) as EventSourceOptions['metrics'])
      : undefined,
    onRetriesExhausted: values['on-retries-exhausted'] as RetriesExhaustedAction | undefined,
    timeoutMs: int(values['timeout-ms'], '--timeout-ms'),
    concurrency: int(values.concurrency, '--concurrency'),
    eventSource: values.msk ? 'aws:kafka' : undefined,
  };
  const options: Omit<EventSourceOptions, 'handler'> = {
    ...template?.options,
    ...(Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)) as typeof flags),
    brokers: values.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    topics: topics.length > 0 ? topics : (template?.options.topics ?? []),
    mode: values['sink-connector'] ? 'sink-connector' : 'esm',
    fromFailures: values['from-failures'] ?? false,
    consumerConfig,
    ...(useRie ? { rie: { handlerFile, exportName, rieBin: values['rie-bin'], inheritOutput: true } } : {}),
  };
  if (options.fromFailures && template) {
    // Replaying the on-failure topic: no second destination, and the template's filters concern the
    // source records, not the on-failure topic's messages.
    delete options.onFailureDestination;
    if (flags.filterCriteria === undefined) delete options.filterCriteria;
    if (values['schema-registry-uri'] === undefined) delete options.schemaRegistry;
  }
  if (
    options.startingPosition &&
    !['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(options.startingPosition)
  ) {
    throw new InvalidTestInputError('--starting-position', 'TRIM_HORIZON, LATEST or AT_TIMESTAMP');
  }
  // A flag's position drops the template's timestamp unless it is AT_TIMESTAMP too.
  if (
    flags.startingPosition &&
    flags.startingPosition !== 'AT_TIMESTAMP' &&
    flags.startingPositionTimestamp === undefined
  )
    delete options.startingPositionTimestamp;
  if (options.startingPosition === 'AT_TIMESTAMP' && options.startingPositionTimestamp === undefined)
    throw new InvalidTestInputError('--starting-position-timestamp', 'a time for AT_TIMESTAMP');
  const ordering = values.ordering;
  if (ordering !== undefined && !['partition', 'key', 'none'].includes(ordering))
    throw new InvalidTestInputError('--ordering', 'partition, key or none');
  return {
    help: false,
    handlerFile,
    exportName,
    options,
    ...(ordering ? { ordering: ordering as CliCommand['ordering'] } : {}),
    ...(fromFailuresDir ? { fromFailuresDir } : {}),
    ...(template
      ? { template: { mapping: `${template.file}: ${template.mapping}`, notEmulated: template.notEmulated } }
      : {}),
  };
}

/**
 * `SchemaRegistryConfig` from the flags over the template's: the registry is the flag's, else (with a
 * template, whose URI names the deployed registry) `$SCHEMA_REGISTRY_URL`, else the template's.
 */
function schemaRegistryOf(
  values: ReturnType<typeof parse>['values'],
  fromTemplate: EsmSchemaRegistryOptions | undefined,
  env: NodeJS.ProcessEnv,
): EsmSchemaRegistryOptions | undefined {
  const uri = values['schema-registry-uri'];
  const format = values['event-record-format'];
  const attributes = (values['schema-validation-attribute'] ?? [])
    .flatMap((a) => a.split(','))
    .map((a) => a.trim().toUpperCase())
    .filter(Boolean);
  if (format !== undefined && format !== 'JSON' && format !== 'SOURCE')
    throw new InvalidTestInputError('--event-record-format', 'JSON or SOURCE');
  if (attributes.some((a) => a !== 'KEY' && a !== 'VALUE'))
    throw new InvalidTestInputError('--schema-validation-attribute', 'KEY or VALUE');
  if (!uri && !fromTemplate) {
    if (format !== undefined || attributes.length > 0)
      throw new InvalidTestInputError('--schema-registry-uri', 'a registry to decode with');
    return undefined;
  }
  return {
    ...fromTemplate,
    uri: uri ?? env.SCHEMA_REGISTRY_URL ?? fromTemplate?.uri,
    ...(format ? { eventRecordFormat: format } : {}),
    ...(attributes.length > 0 ? { attributes: attributes as Array<'KEY' | 'VALUE'> } : {}),
  };
}

/** `--starting-position-timestamp`: Unix seconds (as AWS takes them) or an ISO 8601 time. */
function timestampOf(text: string | undefined): number | Date | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new InvalidTestInputError('--starting-position-timestamp', 'Unix seconds or an ISO 8601 time');
  return date;
}

function json(text: string | undefined, flag: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidTestInputError(flag, 'JSON');
  }
}

/** `--x` true, `--no-x` false, neither undefined; both is a mistake. */
function toggle(values: Record<string, unknown>, name: string): boolean | undefined {
  const on = values[name] === true;
  const off = values[`no-${name}`] === true;
  if (on && off) throw new InvalidTestInputError(`--${name}`, `either --${name} or --no-${name}`);
  return on ? true : off ? false : undefined;
}

/** `K=V` pairs, given one a flag or several space-separated in one (`--parameter-overrides "A=1 B=2"`). */
function keyValues(pairs: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs.flatMap((p) => p.split(/\s+/)).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidTestInputError(flag, 'Key=Value');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
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
      'starting-position-timestamp': { type: 'string' },
      template: { type: 'string' },
      function: { type: 'string' },
      'parameter-overrides': { type: 'string', multiple: true },
      'report-batch-item-failures': { type: 'boolean' },
      'no-report-batch-item-failures': { type: 'boolean' },
      'max-retries': { type: 'string' },
      'maximum-retry-attempts': { type: 'string' },
      'bisect-batch-on-function-error': { type: 'boolean' },
      'no-bisect-batch-on-function-error': { type: 'boolean' },
      'maximum-record-age-seconds': { type: 'string' },
      'on-failure-destination': { type: 'string' },
      'failure-dir': { type: 'string' },
      'filter-criteria': { type: 'string' },
      'schema-registry-uri': { type: 'string' },
      'event-record-format': { type: 'string' },
      'schema-validation-attribute': { type: 'string', multiple: true },
      'on-retries-exhausted': { type: 'string' },
      'timeout-ms': { type: 'string' },
      metrics: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      ordering: { type: 'string' },
      msk: { type: 'boolean' },
      'sink-connector': { type: 'boolean' },
      'from-failures': { type: 'boolean' },
      'from-failures-dir': { type: 'string' },
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
