// The scenario arbitrary: events × user code × faults × configuration, with the dimensions a known
// open defect still trips switched off by name (OPEN_DEFECTS in outcomes.model.test.ts).
import fc from 'fast-check';
import { partitionsArb } from './events.js';
import { faultsArb } from './faults.js';
import {
  answersOf,
  type ConfigSpec,
  describeScenario,
  type HookFault,
  POLICIES,
  type Policy,
  type RouteAnswer,
  type RouteSpec,
  type Scenario,
  type Source,
} from './scenario.js';
import { ALL_ON, planArb, type UserCodeLimits } from './user-code.js';

/**
 * Known open defects of issue 23 that the model finds, each the name of the generator dimension it
 * switches off while it is open (the number is the issue's finding, or N<n> for a new one).
 */
export type OpenDefect =
  /** 1: a non-native thenable returned by process() is taken as a synchronous return. */
  | 'thenable-return'
  /** 2: a ConfigError as the cause of another error (or from a deserializer) is a record failure. */
  | 'config-error-cause'
  /** 3: an output delivered on the oversized re-send is never marked delivered. */
  | 'oversized-resend'
  /** 4: two refused outputs of one record: two outcomes, two dead letters, succeeded -1. */
  | 'two-refused-outputs'
  /** N1: an output refused for good after its record succeeded ends the record twice (recordEnd). */
  | 'refused-after-success'
  /** 5: a small deadlineReserveMs lets the handler settle after Lambda's timeout. */
  | 'tiny-reserve'
  /** 7: produce() after the record's work settled (late, or from an abandoned record). */
  | 'late-produce'
  /** 7: records the batch abandons at the deadline (their process ignores the signal, or hangs). */
  | 'abandoned-records'
  /** 8: an async hook or observer callback that rejects escapes as an unhandled rejection. */
  | 'async-hook-rejects'
  /** 11: every record fails alike (the environment) and the batch succeeds. */
  | 'environment-fault'
  /** Store faults at claim and complete (a finding about them goes here). */
  | 'store-faults'
  /** Serializers that throw (also a ConfigError), produce() refused at the call. */
  | 'produce-stage'
  /** N2: a deadLetterTopic function that throws fails the invocation with the user's error. */
  | 'dead-letter-topic-throws'
  /** A transaction whose begin or abort fails. */
  | 'transaction-faults'
  /** idempotency.key = the record's key: business ids that repeat in a batch, fallbacks to the offset key. */
  | 'business-keys'
  /** N3: beside another batch, an output over the topic's limit (it shares the other's record batch). */
  | 'oversized-beside-another-batch'
  /** Issue 26: `ordering: 'key'` and `'none'` (only `'partition'` when switched off). */
  | 'key-ordering';

export interface GenerationOptions {
  readonly open: ReadonlySet<OpenDefect>;
  readonly maxPartitions?: number;
  readonly maxRecords?: number;
}

export function scenarioArb({
  open,
  maxPartitions = 3,
  maxRecords = 4,
}: GenerationOptions): fc.Arbitrary<Scenario> {
  const limits: UserCodeLimits = {
    ...ALL_ON,
    thenables: !open.has('thenable-return'),
    configCause: !open.has('config-error-cause'),
    oversized: !open.has('oversized-resend'),
    maxRefusedPerRecord: open.has('two-refused-outputs') ? 1 : 3,
    refusals: !open.has('refused-after-success'),
    lateProduce: !open.has('late-produce'),
    abandoned: !open.has('abandoned-records'),
    serializers: !open.has('produce-stage'),
  };
  const hookFaults: HookFault[] = [
    'onRecordError-throws',
    'onBatchEnd-throws',
    'observer-throws',
    ...(open.has('async-hook-rejects')
      ? []
      : (['onRecordError-rejects', 'onBatchEnd-rejects', 'observer-rejects'] as const)),
  ];
  const tinyReserves = open.has('tiny-reserve') ? [] : [0, 1, 20, 150];
  const config: fc.Arbitrary<ConfigSpec> = fc.record({
    // A policy's name, or (one scenario in three) a route choosing one per failure.
    policy: fc.oneof(
      { withCrossShrink: true },
      { weight: 2, arbitrary: fc.constantFrom(...POLICIES) },
      { weight: 1, arbitrary: fc.constant('route' as const) },
    ),
    route: routeArb(),
    allFailedAlike: fc.constantFrom(
      'fail-invocation' as const,
      'fail-invocation' as const,
      'apply-policy' as const,
    ),
    idempotency: fc.boolean(),
    idempotencyKey: open.has('business-keys')
      ? fc.constant('offset' as const)
      : fc.constantFrom('offset' as const, 'record-key' as const),
    transactional: fc.boolean(),
    producer: fc.oneof(
      { withCrossShrink: true },
      { weight: 3, arbitrary: fc.constant('scripted' as const) },
      { weight: 1, arbitrary: fc.constant('memory' as const) },
      { weight: 2, arbitrary: fc.constant('real' as const) },
    ),
    tombstones: fc.constantFrom('skip' as const, 'process' as const),
    deadlineReserveMs: fc.oneof(
      { withCrossShrink: true },
      { weight: 16, arbitrary: fc.constant(undefined) },
      { weight: tinyReserves.length > 0 ? 1 : 0, arbitrary: fc.constantFrom(...tinyReserves, 500) },
      { weight: 3, arbitrary: fc.constantFrom(500, 1_000, 3_000) },
    ),
    ordering: open.has('key-ordering')
      ? fc.constant('partition' as const)
      : fc.constantFrom('partition' as const, 'partition' as const, 'key' as const, 'none' as const),
    concurrency: fc.constantFrom(1, 2, 16),
    tracing: fc.constantFrom(
      'none' as const,
      'none' as const,
      'run-record' as const,
      'run-record-and-produce' as const,
    ),
    keyDeserializer: fc.constantFrom('default' as const, 'default' as const, 'custom' as const),
    deadLetterTopic: open.has('dead-letter-topic-throws')
      ? fc.constantFrom('fixed' as const, 'function' as const)
      : fc.constantFrom('fixed' as const, 'function' as const, 'function-throws' as const),
    hookFault: fc.oneof(
      { withCrossShrink: true },
      { weight: 6, arbitrary: fc.constant('none' as const) },
      { weight: 1, arbitrary: fc.constantFrom(...hookFaults) },
    ),
  });
  const source: fc.Arbitrary<Source> = fc.oneof(
    { withCrossShrink: true },
    { weight: 4, arbitrary: fc.constant('msk' as const) },
    { weight: 2, arbitrary: fc.constant('self-managed' as const) },
    { weight: 2, arbitrary: fc.constant('sink' as const) },
    { weight: 1, arbitrary: fc.constant('on-failure' as const) },
  );
  // A fixed timeout, or one just around the batch's total work (the deadline lands mid-batch).
  const timeoutMs = fc.oneof(
    { withCrossShrink: true },
    { weight: 3, arbitrary: fc.constant(60_000) },
    { weight: 3, arbitrary: fc.integer({ min: 1_000, max: 10_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 201, max: 999 }) },
    { weight: 3, arbitrary: fc.integer({ min: -90, max: -10 }) },
  );
  return fc
    .record({
      source,
      partitions: partitionsArb(planArb(limits), { maxPartitions, maxRecords }),
      config,
      faults: faultsArb({
        store: !open.has('store-faults'),
        environment: !open.has('environment-fault'),
        transactions: !open.has('transaction-faults'),
      }),
      timeoutMs,
    })
    .map((s) => ({ ...s, config: withRoute(s.config) }))
    .map((s) => normalise(s, open))
    .filter((s) => !open.has('environment-fault') || !allFailAlike(s))
    .map((s) => Object.assign(s, { [fc.toStringMethod]: () => `\n${describeScenario(s)}\n` }));
}

/** Keeps the scenario meaningful: a reserve shorter than the invocation, no empty Sink partitions. */
function normalise(s: Scenario, open: ReadonlySet<OpenDefect>): Scenario {
  if (s.timeoutMs < 0) {
    // -p: a timeout p% of the way through the records' total sleep (plus Lambda's reserve for the end).
    let work = 0;
    for (const p of s.partitions) for (const r of p.records) work += r.plan.sleepMs;
    const reserve = s.config.deadlineReserveMs ?? 500;
    s = { ...s, timeoutMs: Math.max(201, Math.round((work * -s.timeoutMs) / 100) + reserve + 1) };
  }
  let config = s.config;
  if (config.deadlineReserveMs !== undefined && config.deadlineReserveMs >= s.timeoutMs)
    config = { ...config, deadlineReserveMs: undefined };
  // A transactional producer refuses an output over the topic's limit by dooming the transaction;
  // the memory producer has no record batches (no oversized re-send).
  let partitions = s.partitions;
  if (s.source === 'sink')
    partitions = partitions
      .filter((p) => p.records.length > 0)
      .map((p) => ({ ...p, records: p.records.map((r) => ({ ...r, headers: [] })) }));
  if (partitions.length === 0) partitions = s.partitions.slice(0, 1);
  if (open.has('tiny-reserve') && s.timeoutMs < 1_000) return { ...s, config, partitions, timeoutMs: 1_000 };
  return { ...s, config, partitions };
}

/**
 * Every record that runs fails at the same stage with the same error (issue 23, finding 11): under
 * 'log' or 'dead-letter' the batch must fail. Filtered out while that finding is open.
 */
function allFailAlike(s: Scenario): boolean {
  const { policy, route, allFailedAlike } = s.config;
  const finalizes = (answer: RouteAnswer) => answer === 'log' || answer === 'dead-letter';
  if (allFailedAlike === 'apply-policy') return false;
  if (policy === 'route' ? !answersOf(route!).some(finalizes) : !finalizes(policy)) return false;
  const kinds = new Set<string>();
  let failing = 0;
  for (const p of s.partitions)
    for (const r of p.records) {
      // A skipped tombstone does not run; a processed one is never decoded (no bytes).
      if (r.value === 'tombstone' && s.config.tombstones === 'skip') continue;
      const plan = r.plan;
      const decoded = r.value !== 'tombstone';
      if (decoded && (plan.decode === 'throw' || plan.decode === 'throw-config'))
        kinds.add(`decode:${plan.decode}`);
      else if (plan.ending !== 'ok') kinds.add(`process:${plan.ending}`);
      else {
        kinds.add('ok');
        continue;
      }
      failing++;
    }
  return failing >= 2 && kinds.size === 1;
}

/** The route is the configuration's only when its policy is `'route'`. */
function withRoute(config: ConfigSpec): ConfigSpec {
  if (config.policy === 'route') return config;
  const { route: _unused, ...named } = config;
  return named;
}

/**
 * A route: the policies it declares (any non-empty subset), and per stage (and for records keyed
 * `k2`) its answer: mostly one of its routes, now and then a mistake (it throws, answers a policy it
 * did not declare, a typo, a promise), which must fail the invocation.
 */
export function routeArb(): fc.Arbitrary<RouteSpec> {
  return fc.subarray([...POLICIES], { minLength: 1 }).chain((routes) => {
    const answer: fc.Arbitrary<RouteAnswer> = fc.oneof(
      { withCrossShrink: true },
      { weight: 16, arbitrary: fc.constantFrom<Policy>(...routes) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<RouteAnswer>('throws', 'undeclared', 'not-a-policy', 'promise'),
      },
    );
    return fc.record({
      routes: fc.constant(routes),
      byStage: fc.record({ decode: answer, process: answer, produce: answer, deliver: answer }),
      k2: fc.option(answer, { nil: undefined, freq: 3 }),
    });
  });
}

/**
 * A batch of fine records beside a scenario's own: other offsets (from 10,000), every record
 * decoding and ending fine, producing 0-2 outputs to a healthy topic, with the scenario's configuration.
 */
export function besideArb(): fc.Arbitrary<(scenario: Scenario) => Scenario> {
  return fc
    .array(
      fc.record({
        partition: fc.constantFrom(0, 1, 2, 12),
        outputs: fc.integer({ min: 0, max: 2 }),
        async: fc.boolean(),
      }),
      {
        minLength: 1,
        maxLength: 4,
      },
    )
    .map((records) =>
      Object.assign(besideOf(records), {
        [fc.toStringMethod]: () =>
          `beside: ${records.map((r) => `orders-${r.partition} ${r.async ? 'async' : 'sync'} produce[${'ok,'.repeat(r.outputs).slice(0, -1)}]`).join('; ')}`,
      }),
    );
}

function besideOf(records: RecordPlanInput[]): (scenario: Scenario) => Scenario {
  return (scenario: Scenario): Scenario => {
    const byPartition = new Map<number, RecordPlanInput[]>();
    for (const r of records) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r]);
    return {
      ...scenario,
      timeoutMs: 60_000,
      partitions: [...byPartition].map(([partition, list]) => ({
        topic: 'orders',
        partition,
        records: list.map((r, i) => ({
          offset: 10_000 + i,
          key: `b${partition}-${i}`,
          value: 8,
          headers: [],
          plan: {
            decode: 'ok',
            shape: r.async ? 'async' : 'sync',
            ending: 'ok',
            outputs: Array.from({ length: r.outputs }, () => 'ok' as const),
            sleepMs: 0,
            ignoresSignal: false,
            hang: false,
            lateMs: undefined,
          },
        })),
      })),
    };
  };
}

interface RecordPlanInput {
  partition: number;
  outputs: number;
  async: boolean;
}
