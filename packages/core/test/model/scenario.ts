// The model's scenario: plain data that fast-check generates and shrinks, and that prints readably.
// One scenario = one event (its records, each with the user code it triggers), one configuration of
// the handler, and one plan of faults. Everything is decided here; run.ts only replays it.

export type Policy = 'log' | 'dead-letter' | 'report' | 'retry-batch';
export const POLICIES: readonly Policy[] = ['log', 'dead-letter', 'report', 'retry-batch'];

/** Where a record failed, as the route is told. */
export type Stage = 'decode' | 'process' | 'produce' | 'deliver';
export const STAGES: readonly Stage[] = ['decode', 'process', 'produce', 'deliver'];

/**
 * What a route answers for one failure: one of the policies, or a mistake: it throws, returns a
 * policy it did not declare in `routes`, a name that is no policy (a typo), or a promise.
 */
export type RouteAnswer = Policy | 'throws' | 'undeclared' | 'not-a-policy' | 'promise';

/**
 * `onError: { policy: route, routes }`: a route that looks at the failure's stage (and at the
 * record: those keyed `k2` may get another answer), declared to return `routes`.
 */
export interface RouteSpec {
  readonly routes: readonly Policy[];
  readonly byStage: Readonly<Record<Stage, RouteAnswer>>;
  /** The answer for records keyed `k2`, whatever the stage (none: as the others). */
  readonly k2: RouteAnswer | undefined;
}

/** How the event reaches the handler. */
export type Source = 'msk' | 'self-managed' | 'sink' | 'on-failure';

/** What the value deserializer does with this record (decided by the first bytes of its value). */
/**
 * `slow`: answers after 300 virtual ms (a registry round trip); `hang`: never answers; `thenable`:
 * answers with a non-native thenable (a Bluebird promise).
 */
export type Decode = 'ok' | 'async' | 'slow' | 'hang' | 'thenable' | 'throw' | 'throw-config';

/** What `process` returns: a plain value, a native promise, or a non-native thenable. */
export type Shape = 'sync' | 'async' | 'thenable' | 'lazy-thenable';

/** How the user's work ends: fine, or a throw of one of these. */
export type Ending =
  | 'ok'
  | 'error'
  | 'string'
  | 'undefined'
  | 'object'
  | 'config'
  | 'config-cause'
  | 'retryable';

/**
 * One `produce()` call of a record: to a healthy topic, to a topic whose deliveries the broker refuses
 * for good (recorded `invalid-topic` / `topic-authorization`), or for now (recorded `unknown-topic`:
 * message timed out), a value over the output topic's `max.message.bytes` (the broker refuses the whole
 * record batch it travels in: recorded `too-large-broker`), or a message the broker never answers.
 */
export type Output =
  | 'ok'
  | 'refused'
  | 'transient'
  | 'oversized'
  | 'held'
  /** With a serializer that throws, answers later, or throws a ConfigError (the `produce` stage). */
  | 'serializer-throws'
  | 'serializer-async'
  | 'serializer-thenable'
  | 'serializer-config'
  /** `produce({ value: 42 })`: refused at the call (InvalidProduceRequestError). */
  | 'invalid'
  /** A value over the producer's message.max.bytes: the client refuses it at once (recorded too-large-local). */
  | 'huge';

export interface RecordPlan {
  readonly decode: Decode;
  readonly shape: Shape;
  readonly ending: Ending;
  readonly outputs: readonly Output[];
  /** Virtual ms the work awaits before it ends (not for `sync`). */
  readonly sleepMs: number;
  /** The sleep ignores the batch's signal (so the deadline cannot cut it short). */
  readonly ignoresSignal: boolean;
  /** The work never settles (and ignores the signal). */
  readonly hang: boolean;
  /** A floating `produce()` this many virtual ms after the record's work settled (a late produce). */
  readonly lateMs: number | undefined;
}

export interface RecordSpec {
  readonly offset: number;
  /** `absent`: no key field; `null`: key null; else the key text. */
  readonly key: string | null | 'absent';
  /** A tombstone (value null) or the value's size in bytes (the plan's code first). */
  readonly value: 'tombstone' | number;
  /** Header name and signed bytes, names may repeat. */
  readonly headers: ReadonlyArray<readonly [string, readonly number[]]>;
  readonly plan: RecordPlan;
}

export interface PartitionSpec {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly RecordSpec[];
}

/** A hook or observer callback that misbehaves (it must be logged and ignored). */
export type HookFault =
  | 'none'
  | 'onRecordError-throws'
  | 'onRecordError-rejects'
  | 'onBatchEnd-throws'
  | 'onBatchEnd-rejects'
  | 'observer-throws'
  | 'observer-rejects';

export interface ConfigSpec {
  /** `onError`'s policy: a name, or `'route'` (a function choosing per failure, see `route`). */
  readonly policy: Policy | 'route';
  /** The route, when `policy` is `'route'`. */
  readonly route?: RouteSpec;
  /** `onError.allFailedAlike`. */
  readonly allFailedAlike: 'fail-invocation' | 'apply-policy';
  readonly idempotency: boolean;
  readonly transactional: boolean;
  /**
   * `scripted`: reports arrive by themselves (librdkafka's way); `memory`: @kafka-lambda/testing's, at
   * flush; `real`: the SDK's kafkaProducer over a native client answering with recorded shapes.
   */
  readonly producer: 'scripted' | 'memory' | 'real';
  readonly tombstones: 'skip' | 'process';
  readonly deadlineReserveMs: number | undefined;
  /** `ordering`: which records may run at once (a partition's, a key's one at a time, or any). */
  readonly ordering: 'partition' | 'key' | 'none';
  /** The bound on records in flight (`concurrency`). */
  readonly concurrency: number;
  readonly hookFault: HookFault;
  /** The idempotency key: the default (topic-partition@offset), or the record's key (a business id: repeats). */
  readonly idempotencyKey: 'offset' | 'record-key';
  /** An observer on the record's path, as tracing is: runRecord wraps each record, produce adds a header. */
  readonly tracing: 'none' | 'run-record' | 'run-record-and-produce';
  /** The key deserializer: the built-in string() (decoded on first read), or a custom one refusing `AAPL`. */
  readonly keyDeserializer: 'default' | 'custom';
  /** `deadLetterTopic`: a topic, a function, or a function that throws for records keyed `k2`. */
  readonly deadLetterTopic: 'fixed' | 'function' | 'function-throws';
}

export interface FaultSpec {
  /** The idempotency store at the batch's claim. */
  readonly claim: 'ok' | 'fail' | 'stall';
  /** The idempotency store at the end (complete and release). */
  readonly complete: 'ok' | 'fail';
  /** The broker refuses dead letters for now (message timed out). */
  readonly deadLetters: 'ok' | 'transient';
  /** The producer's queue is full for this many virtual ms from the start (its backlog, whenWritable). */
  readonly queueFullMs: number;
  /** The next commit fails, as recorded (`txn-commit-timeout`, `txn-coordinator-timeout`). */
  readonly commit: 'ok' | 'retriable' | 'fatal';
  /** The environment is broken: every value's deserializer throws the same error (a missing file). */
  readonly environment: 'ok' | 'broken';
  /** The broker at the producer's connect (the SDK's own producer only): recorded connect outcomes. */
  readonly connect: 'ok' | 'all-brokers-down' | 'auth-refused';
  /** How long the broker takes to acknowledge a record batch, and a transaction's commit (virtual ms). */
  readonly brokerLatencyMs: number;
  /** Every call of the idempotency store takes this long (a network round trip), virtual ms. */
  readonly storeLatencyMs: number;
  /** The transaction's begin fails (recorded txn-fenced), or its abort does (txn-commit-timeout). */
  readonly begin: 'ok' | 'fails';
  readonly abort: 'ok' | 'fails';
}

export interface Scenario {
  readonly source: Source;
  readonly partitions: readonly PartitionSpec[];
  readonly config: ConfigSpec;
  readonly faults: FaultSpec;
  /** Lambda's timeout for the invocation (virtual ms). */
  readonly timeoutMs: number;
}

export function locationOf(topic: string, partition: number, offset: number): string {
  return `${topic}-${partition}@${offset}`;
}

export function recordCount(scenario: Scenario): number {
  let n = 0;
  for (const p of scenario.partitions) n += p.records.length;
  return n;
}

/** A compact, readable form for counterexamples. */
export function describeScenario(s: Scenario): string {
  const c = s.config;
  const f = s.faults;
  const lines: string[] = [];
  lines.push(
    `source=${s.source} timeoutMs=${s.timeoutMs} policy=${c.policy} idempotency=${c.idempotency} ` +
      `${c.idempotency && c.idempotencyKey === 'record-key' ? ' key=record.key' : ''} transactional=${c.transactional} producer=${c.producer} tombstones=${c.tombstones} ` +
      `reserve=${c.deadlineReserveMs ?? 'default'} ordering=${c.ordering} concurrency=${c.concurrency} hooks=${c.hookFault}` +
      (c.route ? ` route=${describeRoute(c.route)}` : '') +
      (c.allFailedAlike === 'apply-policy' ? ' allFailedAlike=apply-policy' : '') +
      (mayDeadLetter(c) ? ` deadLetterTopic=${c.deadLetterTopic}` : '') +
      (c.tracing === 'none' ? '' : ` tracing=${c.tracing}`) +
      (c.keyDeserializer === 'custom' ? ' keyDeserializer=custom (refuses AAPL)' : ''),
  );
  const faults = Object.entries(f)
    .filter(([, v]) => v !== 'ok' && v !== 0)
    .map(([k, v]) => `${k}=${v}`);
  lines.push(`faults: ${faults.length > 0 ? faults.join(' ') : 'none'}`);
  for (const p of s.partitions) {
    lines.push(`  ${p.topic}-${p.partition}:${p.records.length === 0 ? ' (no records)' : ''}`);
    for (const r of p.records) lines.push(`    @${r.offset} ${describeRecord(r)}`);
  }
  return lines.join('\n');
}

function describeRecord(r: RecordSpec): string {
  const p = r.plan;
  const parts: string[] = [];
  parts.push(r.value === 'tombstone' ? 'TOMBSTONE' : `value ${r.value}B`);
  if (r.key !== 'absent') parts.push(`key=${r.key === null ? 'null' : JSON.stringify(r.key)}`);
  if (r.headers.length > 0) parts.push(`headers=${r.headers.map(([n, b]) => `${n}[${b.length}]`).join(',')}`);
  if (p.decode !== 'ok') parts.push(`decode=${p.decode}`);
  parts.push(p.shape);
  if (p.sleepMs > 0) parts.push(`sleep ${p.sleepMs}ms${p.ignoresSignal ? ' (ignores signal)' : ''}`);
  if (p.hang) parts.push('HANGS');
  if (p.outputs.length > 0) parts.push(`produce[${p.outputs.join(',')}]`);
  parts.push(p.ending === 'ok' ? 'ends ok' : `throws ${p.ending}`);
  if (p.lateMs !== undefined) parts.push(`late produce +${p.lateMs}ms`);
  return parts.join(' ');
}

/** The policies a failure may go to under this configuration: the named one, or the route's routes. */
export function routesOf(config: ConfigSpec): readonly Policy[] {
  return config.policy === 'route' ? config.route!.routes : [config.policy];
}

export function mayDeadLetter(config: ConfigSpec): boolean {
  return routesOf(config).includes('dead-letter');
}

/** Every answer the route may give (by stage, and for `k2`). */
export function answersOf(route: RouteSpec): RouteAnswer[] {
  return [...STAGES.map((stage) => route.byStage[stage]), ...(route.k2 === undefined ? [] : [route.k2])];
}

function describeRoute(route: RouteSpec): string {
  const stages = STAGES.map((stage) => `${stage}→${route.byStage[stage]}`).join(',');
  return `[${route.routes.join(',')}] ${stages}${route.k2 === undefined ? '' : ` k2→${route.k2}`}`;
}
