// Runs one scenario in virtual time and records everything the oracle reads: the handler's result or
// rejection and when it came, the producer's messages and their fates, log lines, the observer's
// record ends and batch end, the hooks' calls, the idempotency store before and after, what the user
// code ran, and every unhandled rejection.

import {
  type BatchSummary,
  ConfigError,
  createKafkaHandler,
  hooks,
  type KafkaHandler,
  type LambdaContext,
  type Logger,
} from '@kafka-lambda/core';
import { sinkConnector } from '@kafka-lambda/core/events';
import type { Instrumentation } from '@kafka-lambda/core/middleware';
import type { OutgoingMessage } from '@kafka-lambda/core/producer';
import { idempotency } from '@kafka-lambda/idempotency';
import { lambdaContext } from '@kafka-lambda/testing';
import type { MemoryIdempotencyStore } from '@kafka-lambda/testing/idempotency';
import {
  drainUntil,
  driveUntilSettled,
  driveWhile,
  installVirtualTime,
  type Settled,
  track,
  uncaught,
  uninstallVirtualTime,
} from './driver.js';
import { buildEvent, valueBytes } from './events.js';
import {
  LibrdkafkaLikeProducer,
  MemoryModelProducer,
  type ModelProducer,
  modelStore,
  RealModelProducer,
} from './faults.js';
import { locationOf, mayDeadLetter, type RecordPlan, type Scenario } from './scenario.js';
import {
  DEAD_LETTER_TOPIC,
  type ExpectedRecord,
  UserTrace,
  userDeserializer,
  userKeyDeserializer,
  userProcess,
  userRoute,
} from './user-code.js';

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export interface RecordEnd {
  readonly location: string;
  readonly outcome: string;
  readonly error: Error | undefined;
}

export interface InvocationObservation {
  readonly index: number;
  readonly context: LambdaContext & { readonly deadlineMs: number };
  readonly startedAt: number;
  readonly settled: Settled<unknown>;
  readonly logs: LogLine[];
  readonly recordStarts: string[];
  readonly recordEnds: RecordEnd[];
  readonly onRecordError: Array<{ location: string; error: Error }>;
  readonly batchEnds: Array<{ summary: BatchSummary; error: Error | undefined; result: unknown }>;
  readonly onBatchEnd: BatchSummary[];
  /** Records the tracing observer's runRecord ran. */
  readonly runRecord: string[];
  /** The idempotency store's live entries (key → state) before and after. */
  readonly storeBefore: ReadonlyMap<string, string>;
  storeAfter: ReadonlyMap<string, string>;
  /** The store's live entries the moment the handler settled (before Lambda's end). */
  readonly storeAtSettle: ReadonlyMap<string, string>;
  /** The store calls made during this invocation and its drain (operation and keys). */
  storeCalls: ReadonlyArray<{ readonly operation: string; readonly keys: readonly string[] }>;
  /** The store was told to fail at complete/release during this invocation. */
  readonly storeFaultedAtEnd: boolean;
  /** Unhandled rejections seen while this invocation ran or drained. */
  readonly unhandled: unknown[];
}

export interface Observation {
  readonly scenario: Scenario;
  readonly plans: ReadonlyMap<string, RecordPlan>;
  readonly trace: UserTrace;
  readonly producer: ModelProducer;
  readonly store: MemoryIdempotencyStore | undefined;
  readonly invocations: InvocationObservation[];
  readonly uncaught: unknown[];
  /** Function name in the context: the idempotency key prefix. */
  readonly functionName: string;
  /** createKafkaHandler refused the configuration (ConfigError at module load). */
  readonly rejectedAtLoad?: Error;
}

export const FUNCTION_NAME = 'model-fn';

/** Builds the handler of a scenario; `wrap` lets the oracle's own test break it on purpose. */
export type HandlerWrapper = (
  handler: KafkaHandler,
  parts: { producer: ModelProducer; store: MemoryIdempotencyStore | undefined },
) => KafkaHandler;

/** Two attempts of one batch at once (a rebalance hands the partition to another poller meanwhile). */
export interface OverlapObservation {
  readonly attempts: ReadonlyArray<{
    readonly index: number;
    readonly context: LambdaContext & { readonly deadlineMs: number };
    readonly startedAt: number;
    readonly settled: Settled<unknown> | undefined;
    /** The user trace's counter when it settled. */
    readonly settleSeq: number;
    readonly recordEnds: RecordEnd[];
    readonly batchEnds: Array<{ summary: BatchSummary; error: Error | undefined; result: unknown }>;
  }>;
  readonly unhandled: unknown[];
}

export async function runScenario(
  scenario: Scenario,
  wrap?: HandlerWrapper,
  overlapMs?: number,
  /** With overlapMs: a different batch for the second invocation (else the same one again). */
  secondBatch?: Scenario,
): Promise<Observation & { overlap?: OverlapObservation }> {
  installVirtualTime();
  const previousListeners = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  let current: unknown[] = [];
  const onUnhandled = (reason: unknown) => current.push(reason);
  process.on('unhandledRejection', onUnhandled);
  uncaught.length = 0;
  try {
    return await run(
      scenario,
      wrap,
      (list) => {
        current = list;
      },
      overlapMs,
      secondBatch,
    );
  } finally {
    process.removeListener('unhandledRejection', onUnhandled);
    for (const listener of previousListeners) process.on('unhandledRejection', listener);
    uninstallVirtualTime();
  }
}

async function run(
  scenario: Scenario,
  wrap: HandlerWrapper | undefined,
  collectUnhandledInto: (list: unknown[]) => void,
  overlapMs: number | undefined,
  secondBatch?: Scenario,
): Promise<Observation & { overlap?: OverlapObservation }> {
  const { config, faults } = scenario;
  const plans = new Map<string, RecordPlan>();
  for (const s of secondBatch ? [scenario, secondBatch] : [scenario])
    for (const p of s.partitions)
      for (const r of p.records) plans.set(locationOf(p.topic, p.partition, r.offset), r.plan);
  const trace = new UserTrace();
  // What the callbacks see goes to the invocation in flight.
  let sink: Pick<
    InvocationObservation,
    'logs' | 'recordStarts' | 'recordEnds' | 'onRecordError' | 'batchEnds' | 'onBatchEnd' | 'runRecord'
  > = emptySink();
  const logger: Logger = {
    debug: (message, ...extra) => sink.logs.push(line('debug', message, extra)),
    info: (message, ...extra) => sink.logs.push(line('info', message, extra)),
    warn: (message, ...extra) => sink.logs.push(line('warn', message, extra)),
    error: (message, ...extra) => sink.logs.push(line('error', message, extra)),
  };
  const producer: ModelProducer =
    config.producer === 'memory'
      ? new MemoryModelProducer(faults, config.transactional)
      : config.producer === 'real'
        ? new RealModelProducer(faults, config.transactional, logger)
        : new LibrdkafkaLikeProducer(faults, config.transactional);
  const store = config.idempotency ? modelStore(faults) : undefined;

  const where = (record: { topic: string; partition: number; offset: number }) =>
    locationOf(record.topic, record.partition, record.offset);
  const observer: Instrumentation = {
    name: 'observer',
    startBatch: () => {
      const mine = sink;
      return {
        recordStart: (record) => void mine.recordStarts.push(where(record)),
        recordEnd: (record, outcome, error) =>
          void mine.recordEnds.push({ location: where(record), outcome, error }),
        end: ({ summary, error, result }) =>
          void mine.batchEnds.push({ summary: { ...summary }, error, result }),
      };
    },
  };
  const misbehave = (what: string): void | Promise<void> => {
    const fault = config.hookFault;
    if (fault === `${what}-throws`) throw new Error(`model: ${what} throws`);
    if (fault === `${what}-rejects`) return Promise.reject(new Error(`model: ${what} rejects`));
  };
  // Typed as returning nothing; a JavaScript observer may still throw or return a rejected promise.
  const observerFault = (() => misbehave('observer')) as () => undefined;
  const faulty: Instrumentation = {
    name: 'observer',
    startBatch: () => ({
      recordStart: observerFault,
      recordEnd: observerFault,
      flush: observerFault,
      end: observerFault,
    }),
  };
  // Like tracing: runRecord runs each record inside a scope (here a counter), produce() adds a header.
  const tracing: Instrumentation = {
    name: 'observer',
    startBatch: () => ({
      runRecord: <T>(record: { topic: string; partition: number; offset: number }, run: () => T): T => {
        sink.runRecord.push(where(record));
        return run();
      },
      ...(config.tracing === 'run-record-and-produce'
        ? {
            produce: (message: OutgoingMessage) => ({
              ...message,
              headers: [...(message.headers ?? []), ['traceparent', Buffer.from('00-model-01')] as const],
            }),
          }
        : {}),
    }),
  };
  const options = {
    ...(config.keyDeserializer === 'custom' ? { key: userKeyDeserializer(trace) } : {}),
    value: userDeserializer(trace, faults.environment),
    process: userProcess(
      plans,
      trace,
      new Map([...expectedRecords(scenario), ...(secondBatch ? expectedRecords(secondBatch) : [])]),
    ),
    onError: onErrorOf(config, trace),
    // Transactional when the scenario is: the producer says so (its `transactions`).
    producer: producer.producer,
    tombstones: config.tombstones,
    ...(config.deadlineReserveMs === undefined ? {} : { deadlineReserveMs: config.deadlineReserveMs }),
    ordering: config.ordering,
    concurrency: config.concurrency,
    logger,
    // Observers in the order the `instrumentation` option took them, then hooks and idempotency, as
    // the handler appended those two before they were middleware.
    use: [
      // The Sink Connector's array is read by its adapter, which a handler of its invocations uses.
      ...(scenario.source === 'sink' ? [sinkConnector()] : []),
      observer,
      ...(config.hookFault.startsWith('observer') ? [faulty] : []),
      ...(config.tracing === 'none' ? [] : [tracing]),
      hooks({
        onRecordError: (error: Error, record: { topic: string; partition: number; offset: number }) => {
          sink.onRecordError.push({ location: where(record), error });
          return misbehave('onRecordError');
        },
        onBatchEnd: (summary: BatchSummary) => {
          sink.onBatchEnd.push({ ...summary });
          return misbehave('onBatchEnd');
        },
      }),
      ...(store
        ? [
            idempotency({
              store,
              // A business id: repeats across records; null, absent or '' has none (the offset key then).
              ...(config.idempotencyKey === 'record-key'
                ? { key: (record: { key: unknown }) => record.key as string }
                : {}),
            }),
          ]
        : []),
    ],
  };
  let handler: KafkaHandler;
  try {
    handler = createKafkaHandler(
      options as unknown as Parameters<typeof createKafkaHandler>[0],
    ) as KafkaHandler;
  } catch (error) {
    // Refused at module load (a ConfigError): loud, before any record; nothing to run.
    if (!(error instanceof ConfigError)) throw error;
    return {
      scenario,
      plans,
      trace,
      producer,
      store,
      invocations: [],
      uncaught: [],
      functionName: FUNCTION_NAME,
      rejectedAtLoad: error,
    };
  }
  if (wrap) handler = wrap(handler, { producer, store });
  const event = buildEvent(scenario);
  if (overlapMs !== undefined) {
    // The second attempt starts overlapMs into the first; both are driven to their end.
    const unhandled: unknown[] = [];
    collectUnhandledInto(unhandled);
    producer.settled = false;
    trace.settled = false;
    const attempts = [1, 2].map((index) => ({
      index,
      context: lambdaContext({
        timeoutMs: scenario.timeoutMs,
        functionName: FUNCTION_NAME,
        awsRequestId: `req-${index}`,
      }),
      startedAt: 0,
      sink: emptySink(),
      tracked: undefined as ReturnType<typeof track<unknown>> | undefined,
      settleSeq: Number.POSITIVE_INFINITY,
    }));
    const secondEvent = secondBatch ? buildEvent(secondBatch) : event;
    const start = (attempt: (typeof attempts)[number]) => {
      sink = attempt.sink;
      attempt.startedAt = Date.now();
      const running = handler(structuredClone(attempt.index === 2 ? secondEvent : event), attempt.context);
      attempt.tracked = track(running);
      // Where it settled on the user trace's counter: work after it belongs to nobody.
      const mark = () => {
        attempt.settleSeq = trace.seq++;
      };
      running.then(mark, mark);
    };
    const [first, second] = attempts as [(typeof attempts)[0], (typeof attempts)[0]];
    start(first);
    const startSecondAt = Date.now() + overlapMs;
    await driveWhile(
      () => first.tracked!.settled === undefined && Date.now() < startSecondAt,
      startSecondAt + 1,
    );
    // A context made now counts its timeout from now.
    second.context = lambdaContext({
      timeoutMs: (secondBatch ?? scenario).timeoutMs,
      functionName: FUNCTION_NAME,
      awsRequestId: 'req-2',
    });
    start(second);
    await driveWhile(
      () => first.tracked!.settled === undefined || second.tracked!.settled === undefined,
      second.context.deadlineMs + 15 * 60_000,
    );
    trace.settled = true;
    producer.settled = true;
    await drainUntil(Math.max(Date.now(), second.context.deadlineMs) + 6_000);
    return {
      scenario,
      plans,
      trace,
      producer,
      store,
      invocations: [],
      uncaught: [...uncaught],
      functionName: FUNCTION_NAME,
      overlap: {
        attempts: attempts.map((a) => ({
          index: a.index,
          context: a.context,
          startedAt: a.startedAt,
          settled: a.tracked?.settled,
          settleSeq: a.settleSeq,
          recordEnds: a.sink.recordEnds,
          batchEnds: a.sink.batchEnds,
        })),
        unhandled,
      },
    };
  }
  const invocations: InvocationObservation[] = [];
  const invoke = async (index: number) => {
    trace.invocation = index;
    producer.invocation = index;
    const unhandled: unknown[] = [];
    collectUnhandledInto(unhandled);
    sink = emptySink();
    const context = lambdaContext({
      timeoutMs: scenario.timeoutMs,
      functionName: FUNCTION_NAME,
      awsRequestId: `req-${index}`,
    });
    const storeBefore = snapshot(store);
    const storeLogStart = store?.log.length ?? 0;
    const startedAt = Date.now();
    trace.settled = false;
    producer.settled = false;
    const settled = await driveUntilSettled(
      handler(structuredClone(event), context),
      context.deadlineMs + 15 * 60_000,
    );
    trace.settled = true;
    producer.settled = true;
    const storeAtSettle = snapshot(store);
    const observation: InvocationObservation = {
      index,
      context,
      startedAt,
      settled,
      ...sink,
      storeBefore,
      storeAfter: new Map(),
      storeAtSettle,
      storeCalls: [],
      storeFaultedAtEnd: index === 1 && faults.complete === 'fail',
      unhandled,
    };
    invocations.push(observation);
    // Let floating work and late reports run (a late produce, a record abandoned at the deadline).
    await drainUntil(Math.max(Date.now(), context.deadlineMs) + 6_000);
    observation.storeAfter = snapshot(store);
    observation.storeCalls = store?.log.slice(storeLogStart) ?? [];
  };
  await invoke(1);
  // The ESM delivers the same batch again (a retry, or a redelivery after success); faults are gone.
  store?.heal();
  producer.heal();
  await invoke(2);
  return {
    scenario,
    plans,
    trace,
    producer,
    store,
    invocations,
    uncaught: [...uncaught],
    functionName: FUNCTION_NAME,
  };
}

/** `onError` as the scenario configures it: a name (as a string when that is all), or a route. */
function onErrorOf(config: Scenario['config'], trace: UserTrace): unknown {
  const alike = config.allFailedAlike === 'apply-policy' ? { allFailedAlike: config.allFailedAlike } : {};
  const topic = mayDeadLetter(config) ? { topic: deadLetterTopicOf(config.deadLetterTopic) } : {};
  if (config.policy === 'route')
    return { policy: userRoute(config.route!, trace), routes: config.route!.routes, ...topic, ...alike };
  if (config.policy !== 'dead-letter' && config.allFailedAlike === 'fail-invocation') return config.policy;
  return { policy: config.policy, ...topic, ...alike };
}

function deadLetterTopicOf(choice: Scenario['config']['deadLetterTopic']) {
  if (choice === 'fixed') return DEAD_LETTER_TOPIC;
  return (record: { key: unknown }) => {
    if (choice === 'function-throws' && record.key === 'k2')
      throw new Error('model: no dead-letter topic for k2');
    return DEAD_LETTER_TOPIC;
  };
}

function emptySink() {
  return {
    logs: [] as LogLine[],
    recordStarts: [] as string[],
    recordEnds: [] as RecordEnd[],
    onRecordError: [] as Array<{ location: string; error: Error }>,
    batchEnds: [] as Array<{ summary: BatchSummary; error: Error | undefined; result: unknown }>,
    onBatchEnd: [] as BatchSummary[],
    runRecord: [] as string[],
  };
}

function line(level: LogLine['level'], message: string, extra: Array<Record<string, unknown>>): LogLine {
  return { level, message, fields: Object.assign({}, ...extra) };
}

function snapshot(store: MemoryIdempotencyStore | undefined): ReadonlyMap<string, string> {
  const states = new Map<string, string>();
  if (!store) return states;
  for (const [key, entry] of store.entries()) states.set(key, entry.state);
  return states;
}

/** What happened, compactly: printed with a counterexample. */
export function describeObservation(o: Observation): string {
  const lines: string[] = [];
  if (o.rejectedAtLoad) lines.push(`createKafkaHandler refused the options: ${o.rejectedAtLoad.message}`);
  for (const inv of o.invocations) {
    const s = inv.settled;
    const how =
      s.kind === 'resolved'
        ? `returned ${JSON.stringify(s.value)}`
        : s.kind === 'rejected'
          ? `rejected with ${(s.error as Error)?.name}: ${(s.error as Error)?.message}`
          : 'never settled';
    lines.push(
      `invocation ${inv.index}: ${how} at +${s.at - inv.startedAt} ms (timeout ${inv.context.deadlineMs - inv.startedAt} ms)`,
    );
    lines.push(
      `  record ends: ${inv.recordEnds.map((e) => `${e.location} ${e.outcome}${e.error ? ` (${e.error.name})` : ''}`).join('; ') || 'none'}`,
    );
    const calls = o.trace.calls.filter((c) => c.invocation === inv.index);
    if (calls.length > 0)
      lines.push(
        `  process calls: ${calls.map((c) => `${c.location} ${c.ended}${c.endedInFlight ? '' : ' (after the end)'}${c.outputs.length ? ` produced ${c.outputs.length}` : ''}${c.late ? ` late produce ${c.late.result}` : ''}`).join('; ')}`,
      );
    const sent = o.producer.log.filter((m) => m.invocation === inv.index);
    if (sent.length > 0)
      lines.push(
        `  messages: ${sent.map((m) => `${m.message.topic}${m.deadLetterOf ? `<-${m.deadLetterOf}` : ''} ${m.fate}${o.producer.transactionStateOf(m) ? `/${o.producer.transactionStateOf(m)}` : ''}`).join('; ')}`,
      );
    if (inv.storeBefore.size + inv.storeAfter.size > 0)
      lines.push(
        `  store: before ${JSON.stringify([...inv.storeBefore])} after ${JSON.stringify([...inv.storeAfter])}`,
      );
    const s0 = inv.batchEnds[0]?.summary;
    if (s0) lines.push(`  summary: ${JSON.stringify({ ...s0, flushMs: undefined, durationMs: undefined })}`);
  }
  return lines.join('\n');
}

/** What process must see of each record: the key as text, the value as the model's deserializer decodes it, the headers. */
function expectedRecords(scenario: Scenario): Map<string, ExpectedRecord> {
  const expected = new Map<string, ExpectedRecord>();
  for (const p of scenario.partitions)
    for (const r of p.records) {
      const bytes = valueBytes(r, scenario.source);
      expected.set(locationOf(p.topic, p.partition, r.offset), {
        key: r.key === 'absent' || r.key === null ? null : r.key,
        value: bytes === null ? null : bytes.toString('utf8'),
        headers:
          scenario.source === 'sink'
            ? []
            : r.headers.map(([name, b]) => [name, Buffer.from(b.map((x) => x & 0xff))] as const),
      });
    }
  return expected;
}
