import { readFileSync } from 'node:fs';
import type { EventSourceOptions, StartingPosition } from '../types.js';
import { parseCfnTemplate } from './cfn-yaml.js';
import { IntrinsicResolver, section, Unresolved } from './intrinsics.js';
import { TemplateError } from './template-error.js';

/** The runner options a template's event source mapping sets (each one only when the template does). */
export type TemplateEsmOptions = Pick<
  EventSourceOptions,
  | 'topics'
  | 'groupId'
  | 'batchSize'
  | 'batchWindowMs'
  | 'startingPosition'
  | 'startingPositionTimestamp'
  | 'reportBatchItemFailures'
  | 'maxRetries'
  | 'bisectBatchOnFunctionError'
  | 'maxRecordAgeSeconds'
  | 'onFailureDestination'
  | 'filterCriteria'
  | 'schemaRegistry'
  | 'metrics'
  | 'eventSource'
  | 'timeoutMs'
  | 'functionName'
>;

/** A function's Kafka event source mapping, read from a template. */
export interface TemplateEsm {
  readonly file: string;
  /** The function's logical id. */
  readonly functionId: string;
  /** Where the mapping is: `Resources.UserTradesMapping` or `Resources.Fn.Properties.Events.Orders`. */
  readonly mapping: string;
  /** Runner options as the deployed mapping has them; flags and explicit options override them. */
  readonly options: TemplateEsmOptions & { topics: readonly string[] };
  /**
   * The mapping's settings the runner does not emulate, one line each (`FilterCriteria: …`): name
   * them to the user at start, never ignore them silently.
   */
  readonly notEmulated: readonly string[];
}

/** Options of {@link loadTemplateEsm}. */
export interface TemplateEsmSelection {
  /** The function's logical id. Needed when the template maps Kafka to more than one function. */
  readonly functionName?: string;
  /** Template parameter values (`--parameter-overrides`); they win over each parameter's Default. */
  readonly parameters?: Readonly<Record<string, string>>;
}

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);
const SAM_KAFKA_EVENTS = new Set(['MSK', 'SelfManagedKafka']);

// Properties of a mapping the runner reads, or knows and names (with what the local run does instead).
const USED = new Set([
  'FunctionName',
  'Topics',
  'BatchSize',
  'MaximumBatchingWindowInSeconds',
  'StartingPosition',
  'FunctionResponseTypes',
  'MaximumRetryAttempts',
  'MaximumRecordAgeInSeconds',
  'BisectBatchOnFunctionError',
  'DestinationConfig',
  'EventSourceArn',
  'Stream',
  'SelfManagedEventSource',
  'KafkaBootstrapServers',
  'AmazonManagedKafkaEventSourceConfig',
  'SelfManagedKafkaEventSourceConfig',
  'ConsumerGroupId',
  'ProvisionedPollerConfig',
  'SourceAccessConfigurations',
  'Enabled',
  'StartingPositionTimestamp',
  'FilterCriteria',
  'SchemaRegistryConfig',
  'MetricsConfig',
]);
const NOT_EMULATED: Record<string, string> = {
  KmsKeyArn: 'no filter criteria encryption locally (nothing to encrypt)',
  Tags: 'tags have no local meaning',
  ScalingConfig: 'one poller locally',
  ParallelizationFactor: 'not a Kafka setting',
  TumblingWindowInSeconds: 'not a Kafka setting',
  LoggingConfig: 'the ESM’s own logs are the runner’s stderr lines',
};
// Read, but replaced by the local run's own settings: named at start too.
const REPLACED: Record<string, string> = {
  SelfManagedEventSource: 'the local run reads the brokers of --brokers',
  KafkaBootstrapServers: 'the local run reads the brokers of --brokers',
  EventSourceArn: 'the local run reads the brokers of --brokers',
  Stream: 'the local run reads the brokers of --brokers',
  SourceAccessConfigurations: 'the local consumer authenticates with --consumer-config, not the secret',
  ProvisionedPollerConfig: 'one poller locally; --concurrency bounds the invocations in flight',
};

/**
 * Reads a function's Kafka event source mapping from a SAM or CloudFormation template (YAML or JSON,
 * short-form intrinsics such as `!Ref` and `!Sub` included): an `AWS::Lambda::EventSourceMapping`
 * whose `FunctionName` is the function, or an `MSK` / `SelfManagedKafka` event of a SAM function.
 * Parameters take their Default unless given; conditions and `!If` are evaluated. Returns the runner
 * options the deployed mapping implies (topics, batch size and window, starting position, partial
 * batch responses, retries, bisection, record age, on-failure destination, consumer group, the
 * function's timeout) and the settings the runner does not emulate. Throws {@link TemplateError}
 * naming the file and path of what is missing or wrong.
 *
 * @example
 * ```ts
 * import { loadTemplateEsm, runEventSource } from '@kafka-lambda/local';
 *
 * const esm = loadTemplateEsm('template.yaml', { functionName: 'TradeSettlementFunction' });
 * for (const line of esm.notEmulated) console.warn(`not emulated: ${line}`);
 * const runner = await runEventSource({ brokers: '127.0.0.1:9092', handler, ...esm.options });
 * ```
 */
export function loadTemplateEsm(file: string, selection: TemplateEsmSelection = {}): TemplateEsm {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TemplateError(file, '(file)', `a readable template (${(error as Error).message})`);
  }
  return templateEsm(text, file, selection);
}

/** {@link loadTemplateEsm} over a template's text. */
export function templateEsm(text: string, file: string, selection: TemplateEsmSelection = {}): TemplateEsm {
  const template = parseCfnTemplate(text, file);
  const resolver = new IntrinsicResolver({ file, template, parameters: selection.parameters ?? {} });
  const resources = section(template, 'Resources');
  const candidates = kafkaMappings(resources, resolver);
  const wanted = selection.functionName;
  if (wanted !== undefined && !FUNCTION_TYPES.has(String((resources[wanted] as { Type?: unknown })?.Type)))
    throw new TemplateError(
      file,
      `Resources.${wanted}`,
      `a function (AWS::Serverless::Function or AWS::Lambda::Function)`,
    );
  const matching = candidates.filter((candidate) => wanted === undefined || candidate.functionId === wanted);
  const list = candidates.map((c) => `${c.functionId} (${c.path})`).join(', ') || 'none';
  if (matching.length !== 1) {
    throw new TemplateError(
      file,
      wanted ? `Resources.${wanted}` : 'Resources',
      matching.length === 0
        ? `a Kafka event source mapping (MSK or self-managed) for ${wanted ?? 'a function'}; found: ${list}`
        : `one Kafka event source mapping${wanted ? '' : ' (choose the function with --function)'}; found: ${list}`,
    );
  }
  const chosen = matching[0]!;
  return readMapping(chosen, resources, resolver, file, template);
}

interface Candidate {
  readonly functionId: string;
  readonly path: string;
  readonly properties: Record<string, unknown>;
  readonly sam: boolean;
}

function kafkaMappings(resources: Record<string, unknown>, resolver: IntrinsicResolver): Candidate[] {
  const functions = new Map<string, string>();
  for (const [id, resource] of Object.entries(resources)) {
    const r = resource as { Type?: unknown; Properties?: Record<string, unknown>; Condition?: unknown };
    if (!FUNCTION_TYPES.has(String(r.Type)) || !included(r, resolver, `Resources.${id}`)) continue;
    // A mapping's FunctionName may be the function's Ref (its name) or its ARN.
    const name = resolver.resolve({ Ref: id }, `Resources.${id}`);
    const arn = resolver.resolve({ 'Fn::GetAtt': [id, 'Arn'] }, `Resources.${id}`);
    for (const value of [name, arn, id]) if (typeof value === 'string') functions.set(value, id);
  }
  const found: Candidate[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const r = resource as { Type?: unknown; Properties?: Record<string, unknown>; Condition?: unknown };
    const path = `Resources.${id}`;
    if (!included(r, resolver, path)) continue;
    if (r.Type === 'AWS::Lambda::EventSourceMapping') {
      const p = r.Properties ?? {};
      // Only Kafka mappings (MSK or self-managed) have Topics.
      if (p.Topics === undefined) continue;
      const target = resolver.resolve(p.FunctionName, `${path}.Properties.FunctionName`);
      const functionId = typeof target === 'string' ? (functions.get(target) ?? lastArnPart(target)) : '?';
      found.push({ functionId, path, properties: p, sam: false });
    } else if (FUNCTION_TYPES.has(String(r.Type))) {
      const events = (r.Properties?.Events ?? {}) as Record<
        string,
        { Type?: unknown; Properties?: Record<string, unknown> }
      >;
      for (const [name, event] of Object.entries(events)) {
        if (!SAM_KAFKA_EVENTS.has(String(event?.Type))) continue;
        found.push({
          functionId: id,
          path: `${path}.Properties.Events.${name}`,
          properties: { ...(event.Properties ?? {}), ...(event.Type === 'MSK' ? { __msk: true } : {}) },
          sam: true,
        });
      }
    }
  }
  return found;
}

/** A resource whose `Condition` is false is not deployed. */
function included(resource: { Condition?: unknown }, resolver: IntrinsicResolver, path: string): boolean {
  return (
    typeof resource.Condition !== 'string' || resolver.condition(resource.Condition, `${path}.Condition`)
  );
}

function readMapping(
  candidate: Candidate,
  resources: Record<string, unknown>,
  resolver: IntrinsicResolver,
  file: string,
  template: Record<string, unknown>,
): TemplateEsm {
  const base = `${candidate.path}.Properties`;
  const props = resolver.resolve(
    Object.fromEntries(Object.entries(candidate.properties).filter(([key]) => key !== '__msk')),
    base,
  ) as Record<string, unknown>;
  const at = (key: string) => `${base}.${key}`;
  const fail = (key: string, expected: string) => new TemplateError(file, at(key), expected);
  const known = <T>(key: string, value: unknown): T => {
    const unresolved = Array.isArray(value) ? value.find((item) => item instanceof Unresolved) : value;
    if (unresolved instanceof Unresolved) throw fail(key, `a value: ${unresolved.what}`);
    return value as T;
  };
  const integer = (key: string, min: number, max: number): number | undefined => {
    const raw = known<unknown>(key, props[key]);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw fail(key, `an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    return n;
  };
  const notEmulated: string[] = [];
  const options: TemplateEsmOptions & { topics: readonly string[] } = { topics: [] };

  const topics = known<unknown>('Topics', props.Topics);
  if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || !t))
    throw fail('Topics', 'a non-empty list of topic names');
  options.topics = topics as string[];

  const batchSize = integer('BatchSize', 1, 10_000);
  if (batchSize !== undefined) options.batchSize = batchSize;
  const window = integer('MaximumBatchingWindowInSeconds', 0, 300);
  if (window !== undefined) options.batchWindowMs = window * 1000;

  const position = known<unknown>('StartingPosition', props.StartingPosition);
  if (position === 'TRIM_HORIZON' || position === 'LATEST' || position === 'AT_TIMESTAMP')
    options.startingPosition = position as StartingPosition;
  else if (position !== undefined) throw fail('StartingPosition', 'TRIM_HORIZON, LATEST or AT_TIMESTAMP');
  const since = known<unknown>('StartingPositionTimestamp', props.StartingPositionTimestamp);
  if (position === 'AT_TIMESTAMP') {
    const seconds = Number(since);
    if (since === undefined || since === '' || !Number.isFinite(seconds) || seconds < 0)
      throw fail('StartingPositionTimestamp', 'Unix time in seconds (AT_TIMESTAMP needs it)');
    options.startingPositionTimestamp = seconds;
  }

  const responseTypes = known<unknown>('FunctionResponseTypes', props.FunctionResponseTypes);
  if (responseTypes !== undefined) {
    if (!Array.isArray(responseTypes)) throw fail('FunctionResponseTypes', 'a list');
    options.reportBatchItemFailures = responseTypes.includes('ReportBatchItemFailures');
  } else options.reportBatchItemFailures = false;

  const retries = integer('MaximumRetryAttempts', -1, 10_000);
  // Absent, AWS's default is -1: retry until the record expires (capped at 10 with a destination).
  options.maxRetries = retries ?? -1;
  const age = integer('MaximumRecordAgeInSeconds', -1, 604_800);
  if (age !== undefined) {
    if (age !== -1 && age < 60) throw fail('MaximumRecordAgeInSeconds', '-1 or 60 to 604800 (AWS’s range)');
    options.maxRecordAgeSeconds = age;
  }
  const bisect = known<unknown>('BisectBatchOnFunctionError', props.BisectBatchOnFunctionError);
  if (bisect !== undefined) {
    if (bisect !== true && bisect !== false && bisect !== 'true' && bisect !== 'false')
      throw fail('BisectBatchOnFunctionError', 'true or false');
    options.bisectBatchOnFunctionError = bisect === true || bisect === 'true';
  }
  const destinations = known<{ OnFailure?: { Destination?: unknown }; OnSuccess?: unknown } | undefined>(
    'DestinationConfig',
    props.DestinationConfig,
  );
  if (destinations?.OnFailure?.Destination !== undefined) {
    const destination = known<unknown>(
      'DestinationConfig.OnFailure.Destination',
      destinations.OnFailure.Destination,
    );
    if (typeof destination !== 'string') throw fail('DestinationConfig.OnFailure.Destination', 'a string');
    options.onFailureDestination = destination;
  }

  // An MSK mapping names its cluster by ARN (often a parameter without Default: only its presence counts).
  const filters = known<{ Filters?: unknown } | undefined>('FilterCriteria', props.FilterCriteria);
  if (filters !== undefined) {
    const list = known<unknown>('FilterCriteria.Filters', filters.Filters);
    if (!Array.isArray(list) || list.some((f) => typeof (f as { Pattern?: unknown })?.Pattern !== 'string'))
      throw fail('FilterCriteria.Filters', 'a list of { Pattern: <JSON string> }');
    options.filterCriteria = { Filters: list as Array<{ Pattern: string }> };
  }

  const metricsConfig = known<{ Metrics?: unknown } | undefined>('MetricsConfig', props.MetricsConfig);
  if (metricsConfig !== undefined) {
    const groups = known<unknown>('MetricsConfig.Metrics', metricsConfig.Metrics ?? []);
    if (
      !Array.isArray(groups) ||
      groups.some((g) => !['EventCount', 'ErrorCount', 'KafkaMetrics'].includes(g))
    )
      throw fail('MetricsConfig.Metrics', 'a list of EventCount, ErrorCount and KafkaMetrics');
    const emitted = groups.filter((g): g is 'EventCount' | 'KafkaMetrics' => g !== 'ErrorCount');
    if (emitted.length > 0) options.metrics = [...new Set(emitted)];
    if (groups.includes('ErrorCount'))
      notEmulated.push(
        'MetricsConfig.Metrics ErrorCount: not emitted (its metric names are not in the AWS documentation the runner follows); EventCount and KafkaMetrics are',
      );
  }

  const msk =
    candidate.properties.__msk === true ||
    (props.SelfManagedEventSource === undefined && candidate.properties.EventSourceArn !== undefined);
  options.eventSource = msk ? 'aws:kafka' : 'SelfManagedKafka';
  const kafkaConfig = (props.AmazonManagedKafkaEventSourceConfig ??
    props.SelfManagedKafkaEventSourceConfig ??
    {}) as Record<string, unknown>;
  const group = known<unknown>('ConsumerGroupId', props.ConsumerGroupId ?? kafkaConfig.ConsumerGroupId);
  if (typeof group === 'string' && group) options.groupId = group;
  // In the event's Kafka config (CloudFormation), or directly on a SAM event.
  const registryAt =
    props.SchemaRegistryConfig !== undefined
      ? 'SchemaRegistryConfig'
      : `${kafkaConfigKey(props)}.SchemaRegistryConfig`;
  const registryConfig = known<Record<string, unknown> | undefined>(
    registryAt,
    props.SchemaRegistryConfig ?? kafkaConfig.SchemaRegistryConfig,
  );
  if (registryConfig !== undefined) {
    const uri = known<unknown>(`${registryAt}.SchemaRegistryURI`, registryConfig.SchemaRegistryURI);
    if (typeof uri !== 'string' || !uri)
      throw fail(`${registryAt}.SchemaRegistryURI`, 'a registry URL or Glue ARN');
    const format = known<unknown>(
      `${registryAt}.EventRecordFormat`,
      registryConfig.EventRecordFormat ?? 'JSON',
    );
    if (format !== 'JSON' && format !== 'SOURCE')
      throw fail(`${registryAt}.EventRecordFormat`, 'JSON or SOURCE');
    const validations = known<unknown>(
      `${registryAt}.SchemaValidationConfigs`,
      registryConfig.SchemaValidationConfigs ?? [{ Attribute: 'VALUE' }],
    );
    const attributes = Array.isArray(validations)
      ? validations.map((v) => (v as { Attribute?: unknown })?.Attribute)
      : [];
    if (attributes.length === 0 || attributes.some((a) => a !== 'KEY' && a !== 'VALUE'))
      throw fail(`${registryAt}.SchemaValidationConfigs`, 'a list of { Attribute: KEY | VALUE }');
    options.schemaRegistry = {
      uri,
      eventRecordFormat: format,
      attributes: [...new Set(attributes as Array<'KEY' | 'VALUE'>)],
    };
    notEmulated.push(
      `${registryAt}.SchemaRegistryURI: the local run reads the registry of --schema-registry-uri, else $SCHEMA_REGISTRY_URL, else ${uri}`,
    );
    if (registryConfig.AccessConfigs !== undefined)
      notEmulated.push(
        `${registryAt}.AccessConfigs: the local registry is read without the deployed credentials`,
      );
  }

  if (props.Enabled === false || props.Enabled === 'false')
    notEmulated.push('Enabled: false: the deployed mapping is disabled; the local run consumes anyway');
  const provisioned = props.ProvisionedPollerConfig !== undefined;
  const errorControls = [
    'MaximumRetryAttempts',
    'MaximumRecordAgeInSeconds',
    'BisectBatchOnFunctionError',
    'DestinationConfig',
  ];
  if (!provisioned && errorControls.some((key) => props[key] !== undefined))
    notEmulated.push(
      'ProvisionedPollerConfig: absent, yet the error handling controls are set; AWS allows them in provisioned mode only',
    );
  for (const key of Object.keys(props)) {
    if (REPLACED[key]) notEmulated.push(`${key}: ${REPLACED[key]}`);
    if (USED.has(key)) continue;
    notEmulated.push(`${key}: ${NOT_EMULATED[key] ?? 'not known to the runner; ignored'}`);
  }

  // The function's own settings: its timeout (Lambda's default is 3 s) and name.
  const fn = resources[candidate.functionId] as { Properties?: Record<string, unknown> } | undefined;
  const globals = (section(template, 'Globals').Function ?? {}) as Record<string, unknown>;
  const timeout = resolver.resolve(
    fn?.Properties?.Timeout ?? globals.Timeout ?? 3,
    `Resources.${candidate.functionId}.Properties.Timeout`,
  );
  const seconds = Number(timeout);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 900)
    throw new TemplateError(
      file,
      `Resources.${candidate.functionId}.Properties.Timeout`,
      'whole seconds from 1 to 900',
    );
  options.timeoutMs = seconds * 1000;
  const name = resolver.resolve({ Ref: candidate.functionId }, `Resources.${candidate.functionId}`);
  options.functionName = typeof name === 'string' ? name : candidate.functionId;

  return { file, functionId: candidate.functionId, mapping: candidate.path, options, notEmulated };
}

function kafkaConfigKey(props: Record<string, unknown>): string {
  return props.AmazonManagedKafkaEventSourceConfig !== undefined
    ? 'AmazonManagedKafkaEventSourceConfig'
    : 'SelfManagedKafkaEventSourceConfig';
}

function lastArnPart(value: string): string {
  return value.slice(value.lastIndexOf(':') + 1);
}
