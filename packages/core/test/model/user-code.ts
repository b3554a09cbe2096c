// User code: what `process` and the value deserializer do for each record, as its plan says, and a
// trace of what actually ran (the oracle's evidence of "the user's work happened").
import {
  ConfigError,
  type Deserializer,
  isRetryable,
  type KafkaRecord,
  type ProcessContext,
  RetryableError,
  type Serializer,
} from '@kafka-lambda/core';
import fc from 'fast-check';
import type { Ending, Output, RecordPlan, RouteAnswer, RouteSpec, Shape, Stage } from './scenario.js';
import { locationOf, POLICIES } from './scenario.js';

/** Dimensions of user code a known open defect keeps switched off (see OPEN_DEFECTS in the test). */
export interface UserCodeLimits {
  readonly thenables: boolean;
  readonly configCause: boolean;
  readonly oversized: boolean;
  /** At most this many outputs of one record the broker refuses for good (refused + oversized). */
  readonly maxRefusedPerRecord: number;
  readonly lateProduce: boolean;
  /** Records whose work never settles or ignores the signal (abandoned at the deadline). */
  readonly abandoned: boolean;
  /** Outputs refused for good at all (a record failing after it succeeded). */
  readonly refusals: boolean;
  /** Serializers that throw (also a ConfigError) and produce() calls refused at the call. */
  readonly serializers: boolean;
}

export const ALL_ON: UserCodeLimits = {
  thenables: true,
  configCause: true,
  oversized: true,
  maxRefusedPerRecord: 3,
  lateProduce: true,
  abandoned: true,
  refusals: true,
  serializers: true,
};

export function planArb(limits: UserCodeLimits): fc.Arbitrary<RecordPlan> {
  const shapes: Shape[] = [
    'sync',
    'async',
    ...(limits.thenables ? (['thenable', 'lazy-thenable'] as const) : []),
  ];
  const endings = fc.oneof(
    { withCrossShrink: true },
    { weight: 40, arbitrary: fc.constant<Ending>('ok') },
    { weight: 6, arbitrary: fc.constant<Ending>('error') },
    { weight: 3, arbitrary: fc.constantFrom<Ending>('string', 'undefined', 'object') },
    { weight: 2, arbitrary: fc.constant<Ending>('retryable') },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Ending>(
        'config',
        ...(limits.configCause ? (['config-cause'] as const) : []),
      ),
    },
  );
  // Weighted: mostly healthy outputs, each fault now and then (a ConfigError serializer rarely, since
  // it fails the whole invocation).
  const weighted: Array<[Output, number, boolean]> = [
    ['ok', 48, true],
    ['transient', 4, true],
    ['held', 4, true],
    ['serializer-async', 4, true],
    ['serializer-thenable', 2, limits.thenables],
    ['serializer-throws', 4, limits.serializers],
    ['invalid', 2, limits.serializers],
    ['serializer-config', 2, limits.serializers],
    ['refused', 6, limits.refusals],
    ['oversized', 6, limits.refusals && limits.oversized],
    ['huge', 1, limits.refusals],
  ];
  const outputKind = fc.oneof(
    ...weighted.filter(([, , on]) => on).map(([kind, weight]) => ({ weight, arbitrary: fc.constant(kind) })),
  );
  const outputs = fc
    .array(outputKind, { maxLength: 3 })
    .filter(
      (list) => list.filter((o) => o === 'refused' || o === 'oversized').length <= limits.maxRefusedPerRecord,
    );
  return fc
    .record({
      decode: fc.oneof(
        { withCrossShrink: true },
        { weight: 60, arbitrary: fc.constant('ok' as const) },
        { weight: 12, arbitrary: fc.constant('async' as const) },
        { weight: 3, arbitrary: fc.constant('slow' as const) },
        { weight: limits.thenables ? 3 : 0, arbitrary: fc.constant('thenable' as const) },
        { weight: limits.abandoned ? 1 : 0, arbitrary: fc.constant('hang' as const) },
        { weight: 6, arbitrary: fc.constant('throw' as const) },
        { weight: limits.configCause ? 1 : 0, arbitrary: fc.constant('throw-config' as const) },
      ),
      shape: fc.constantFrom(...shapes),
      ending: endings,
      outputs: fc.oneof(
        { withCrossShrink: true },
        { weight: 1, arbitrary: fc.constant([] as Output[]) },
        { weight: 2, arbitrary: outputs },
      ),
      sleepMs: fc.oneof(
        { withCrossShrink: true },
        { weight: 8, arbitrary: fc.constant(0) },
        { weight: 2, arbitrary: fc.integer({ min: 1, max: 400 }) },
        { weight: 1, arbitrary: fc.integer({ min: 400, max: 5_000 }) },
      ),
      ignoresSignal: limits.abandoned ? fc.boolean() : fc.constant(false),
      hang: limits.abandoned
        ? fc.oneof(
            { withCrossShrink: true },
            { weight: 30, arbitrary: fc.constant(false) },
            { weight: 1, arbitrary: fc.constant(true) },
          )
        : fc.constant(false),
      lateMs: limits.lateProduce
        ? fc.oneof(
            { withCrossShrink: true },
            { weight: 20, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 3_000 }) },
          )
        : fc.constant(undefined),
    })
    .map((plan) => ({
      ...plan,
      // A synchronous process cannot wait.
      sleepMs: plan.shape === 'sync' ? 0 : plan.sleepMs,
      hang: plan.shape === 'sync' ? false : plan.hang,
    }));
}

/** Output topics: one per way the broker answers (faults.ts gives each its recorded answer). */
export const OUTPUT_TOPIC: Readonly<Record<Output, string>> = {
  ok: 'out',
  oversized: 'out',
  'serializer-throws': 'out',
  'serializer-async': 'out',
  'serializer-config': 'out',
  'serializer-thenable': 'out',
  invalid: 'out',
  huge: 'out',
  refused: 'out.refused',
  transient: 'out.transient',
  held: 'out.held',
};
/** Over the producer's message.max.bytes (1,000,000). */
const HUGE_VALUE = 'h'.repeat(1_100_000);
/** The output topics' `max.message.bytes`; an oversized output's value is above it. */
export const OUTPUT_TOPIC_MAX_BYTES = 1_000;
export const DEAD_LETTER_TOPIC = 'model.dlq';
/** Header carrying an output's identity: `<record>#<call>#<n>` (`late` for a floating produce). */
export const OUTPUT_ID_HEADER = 'model-output';

/** The serializers of the `serializer-*` outputs; a ConfigError one notes that it threw. */
function serializerOf(kind: Output, trace: UserTrace, location: string): Serializer<{ id: string }> {
  switch (kind) {
    case 'serializer-async':
      return { serialize: async (value) => Buffer.from(JSON.stringify(value)) };
    case 'serializer-thenable':
      // A non-native thenable (a Bluebird promise from a registry client), not a Promise.
      return {
        serialize: (value) =>
          ({
            // biome-ignore lint/suspicious/noThenProperty: a non-native thenable is the point
            then: (resolve: (b: Buffer) => void) =>
              setImmediate(() => resolve(Buffer.from(JSON.stringify(value)))),
          }) as never,
      };
    case 'serializer-config':
      return {
        serialize: () => {
          trace.serializerConfigErrors.push({
            location,
            invocation: trace.invocation,
            inFlight: !trace.settled,
          });
          throw new ConfigError('model serializer: schema.registry.url is missing');
        },
      };
    default:
      return {
        serialize: () => {
          throw new RangeError('model serializer: this value cannot be encoded');
        },
      };
  }
}

/** One call of `process` for one record. */
export interface ProcessCall {
  readonly location: string;
  readonly invocation: number;
  /** How the user's work ended: still running, completed, or threw. */
  ended: 'running' | 'ok' | 'threw';
  /** The work ended while its invocation was still in flight. */
  endedInFlight: boolean;
  /** When the call started and its work ended, on the trace's one counter (order, not time). */
  readonly startSeq: number;
  endSeq: number | undefined;
  /** It threw its plan's ending (not a produce() refusal or the signal's abort). */
  threwEnding: boolean;
  /** Ids of the outputs whose `produce()` returned normally. */
  readonly outputs: string[];
  /** `produce()` calls that threw (the error's name). */
  readonly produceErrors: string[];
  /** Outputs whose `produce()` returned normally after the invocation had settled. */
  readonly outputsAfterSettle: string[];
  late?: { id: string; at: number; result: 'returned' | string; invocationSettled: boolean };
}

/** One call of the value deserializer. */
export interface DecodeCall {
  readonly location: string;
  readonly invocation: number;
  readonly threw: string | undefined;
  /** The thrown error's message (the same for the same cause: "alike" failures share it). */
  readonly message?: string;
}

/** One call of `onError`'s route: the failure it was asked about, and what it answered. */
export interface RouteCall {
  readonly location: string;
  readonly invocation: number;
  readonly stage: string;
  /** The error's name, and whether it was retryable or a configuration error (never routed). */
  readonly error: string;
  readonly retryable: boolean;
  /** The policy it returned (one of its routes), or the mistake it made. */
  readonly answer: RouteAnswer;
  /** On the trace's counter: when it was asked. */
  readonly seq: number;
}

/** Everything user code did, across the invocations of a scenario. */
export class UserTrace {
  readonly calls: ProcessCall[] = [];
  readonly decodes: DecodeCall[] = [];
  /** The route's calls (`onError: { policy: route }`). */
  readonly routes: RouteCall[] = [];
  /** Records handed to process that were not the record the event carried. */
  readonly integrity: Array<{ location: string; invocation: number; problems: string[] }> = [];
  /** Serializers that threw a ConfigError (the produce stage). */
  readonly serializerConfigErrors: Array<{ location: string; invocation: number; inFlight: boolean }> = [];
  invocation = 0;
  seq = 0;
  /** Set by the runner while an invocation is in flight. */
  settled = true;

  callsOf(location: string, invocation = this.invocation): ProcessCall[] {
    return this.calls.filter((c) => c.location === location && c.invocation === invocation);
  }
}

/**
 * `onError`'s route as the scenario plans it: its answer by the failure's stage, or for records keyed
 * `k2` (read from the raw key, which a record that failed to decode still has). Each call is traced.
 */
export function userRoute(
  spec: RouteSpec,
  trace: UserTrace,
): (failure: { record: AnyRecord; error: Error; stage: Stage }) => unknown {
  return ({ record, error, stage }) => {
    const planned =
      record.rawKey?.toString('utf8') === 'k2' && spec.k2 !== undefined ? spec.k2 : spec.byStage[stage];
    trace.routes.push({
      location: locationOf(record.topic, record.partition, record.offset),
      invocation: trace.invocation,
      stage,
      error: error.name,
      retryable: isRetryable(error) || configErrorNamed(error),
      answer: planned,
      seq: trace.seq++,
    });
    switch (planned) {
      case 'throws':
        throw new Error('model: the route failed');
      case 'undeclared':
        return POLICIES.find((p) => !spec.routes.includes(p)) ?? 'reprot';
      case 'not-a-policy':
        return 'reprot';
      case 'promise':
        return Promise.resolve(spec.routes[0]);
      default:
        return planned;
    }
  };
}

/** A ConfigError anywhere in the cause chain: never a record's failure to route. */
function configErrorNamed(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    if (e instanceof ConfigError) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A virtual-time sleep; with a signal, it rejects with the signal's reason when it aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * What the plan's ending throws. The same for every record (no location in it): two records with the
 * same ending fail alike, as an environment fault would make them.
 */
export function thrownBy(ending: Ending): unknown {
  switch (ending) {
    case 'ok':
      return undefined;
    case 'error':
      return new TypeError('user code failed');
    case 'string':
      return 'a string thrown by user code';
    case 'undefined':
      return undefined;
    case 'object':
      return { reason: 'a plain object' };
    case 'config':
      return new ConfigError('produce() needs the `producer` option (model: a configuration mistake)');
    case 'config-cause':
      // What a registry deserializer reached with a secret lacking schema.registry.url surfaces as.
      return new Error('registry call failed', {
        cause: new ConfigError('schema.registry.url is missing from the secret'),
      });
    case 'retryable':
      return new RetryableError('a dependency blinked');
  }
}

export type AnyRecord = KafkaRecord<unknown, unknown>;

/** The `process` of the handler: looks the record's plan up by its location and plays it. */
/** What `process` must receive for a record: its key, its decoded value, its headers (in order). */
export interface ExpectedRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
}

export function userProcess(
  plans: ReadonlyMap<string, RecordPlan>,
  trace: UserTrace,
  expected?: ReadonlyMap<string, ExpectedRecord>,
): (record: AnyRecord, context: ProcessContext) => unknown {
  return (record, context) => {
    const location = locationOf(record.topic, record.partition, record.offset);
    const plan = plans.get(location);
    if (!plan) throw new Error(`model: no plan for ${location}`);
    void record.key; // decoded on first read: a key that cannot be decoded fails here
    const want = expected?.get(location);
    if (want) {
      // The record handed to process is this record, byte for byte (a finding if not).
      const problems: string[] = [];
      if (record.key !== want.key)
        problems.push(`key ${JSON.stringify(record.key)}, expected ${JSON.stringify(want.key)}`);
      if (record.value !== want.value)
        problems.push(`value differs (${JSON.stringify(String(record.value).slice(0, 20))}…)`);
      const got = record.headers.toArray();
      const headersMatch =
        got.length >= want.headers.length &&
        want.headers.every(([name, bytes], i) => got[i]![0] === name && got[i]![1].equals(bytes));
      if (!headersMatch)
        problems.push(
          `headers ${JSON.stringify(got.map(([n, b]) => [n, [...b]]))}, expected ${JSON.stringify(want.headers.map(([n, b]) => [n, [...b]]))}`,
        );
      if (problems.length > 0) trace.integrity.push({ location, invocation: trace.invocation, problems });
    }
    // The invocation, from its request id when two run at once (req-<n>).
    const request = /^req-(\d+)$/.exec(context.lambdaContext.awsRequestId ?? '');
    const call: ProcessCall = {
      location,
      invocation: request ? Number(request[1]) : trace.invocation,
      ended: 'running',
      endedInFlight: false,
      startSeq: trace.seq++,
      endSeq: undefined,
      threwEnding: false,
      outputs: [],
      produceErrors: [],
      outputsAfterSettle: [],
    };
    trace.calls.push(call);
    const index = trace.calls.length;
    const produceAll = () => {
      plan.outputs.forEach((kind, n) => {
        const id = `${location}#${index}#${n}`;
        try {
          const headers: Array<[string, string]> = [[OUTPUT_ID_HEADER, id]];
          const topic = OUTPUT_TOPIC[kind];
          const key = record.key as string | null;
          if (kind.startsWith('serializer-'))
            context.produce({
              topic,
              key,
              headers,
              value: { id },
              serializer: serializerOf(kind, trace, location),
            });
          else if (kind === 'invalid') context.produce({ topic, key, headers, value: 42 as never });
          else
            context.produce({
              topic,
              key,
              value:
                kind === 'oversized'
                  ? 'o'.repeat(OUTPUT_TOPIC_MAX_BYTES + 500)
                  : kind === 'huge'
                    ? HUGE_VALUE
                    : `out ${id}`,
              headers,
            });
          call.outputs.push(id);
          if (trace.settled) call.outputsAfterSettle.push(id);
        } catch (error) {
          call.produceErrors.push((error as Error)?.name ?? String(error));
          throw error;
        }
      });
    };
    const finish = () => {
      const thrown = thrownBy(plan.ending);
      call.endedInFlight = !trace.settled;
      call.endSeq = trace.seq++;
      if (plan.ending !== 'ok') {
        call.ended = 'threw';
        call.threwEnding = true;
        throw thrown;
      }
      call.ended = 'ok';
      if (plan.lateMs !== undefined) scheduleLate(plan.lateMs);
    };
    const scheduleLate = (ms: number) => {
      // A floating promise: produce() after the record's work settled (the user forgot an await).
      setTimeout(() => {
        const id = `${location}#${index}#late`;
        const late: ProcessCall['late'] = {
          id,
          at: Date.now(),
          result: 'returned',
          invocationSettled: trace.settled,
        };
        call.late = late;
        try {
          context.produce({
            topic: 'out',
            key: null,
            value: `late ${id}`,
            headers: [[OUTPUT_ID_HEADER, id]],
          });
        } catch (error) {
          late.result = (error as Error)?.name ?? String(error);
        }
      }, ms);
    };
    const body = async () => {
      if (plan.hang) {
        produceAll();
        await new Promise<never>(() => {});
      }
      if (plan.sleepMs > 0) await sleep(plan.sleepMs, plan.ignoresSignal ? undefined : context.signal);
      produceAll();
      finish();
    };
    const failed = (error: unknown) => {
      if (call.ended === 'running') {
        call.ended = 'threw';
        call.endedInFlight = !trace.settled;
        call.endSeq = trace.seq++;
      }
      throw error;
    };
    switch (plan.shape) {
      case 'sync':
        try {
          produceAll();
        } catch (error) {
          failed(error);
        }
        finish();
        return undefined;
      case 'async':
        return body().catch(failed);
      case 'thenable': {
        // Eager: the work starts now; then() reports its outcome (a Bluebird promise, a started query).
        const running = body().catch(failed);
        return {
          // biome-ignore lint/suspicious/noThenProperty: a thenable is the point
          then(resolve: (v: unknown) => void, reject: (e: unknown) => void) {
            running.then(resolve, reject);
          },
        };
      }
      case 'lazy-thenable':
        // Lazy: nothing runs until then() is called (a Knex query builder).
        return {
          // biome-ignore lint/suspicious/noThenProperty: a thenable is the point
          then(resolve: (v: unknown) => void, reject: (e: unknown) => void) {
            body().catch(failed).then(resolve, reject);
          },
        };
    }
  };
}

/** A key deserializer of the user's (decoded with the record, not on first read) that refuses `AAPL`. */
export function userKeyDeserializer(trace: UserTrace): Deserializer<string> {
  return {
    deserialize(bytes, context) {
      const location = locationOf(context.topic, context.partition, context.offset);
      const text = bytes.toString('utf8');
      const refused = text === 'AAPL';
      trace.decodes.push({
        location,
        invocation: trace.invocation,
        threw: refused ? 'SyntaxError' : undefined,
        message: refused ? 'key' : undefined,
      });
      if (refused) throw new SyntaxError('model key deserializer: AAPL is not a key');
      return text;
    },
  };
}

/** The value deserializer: the value's first byte says what to do (events.ts writes it). */
export function userDeserializer(trace: UserTrace, environment: 'ok' | 'broken'): Deserializer<string> {
  return {
    deserialize(bytes, context) {
      const location = locationOf(context.topic, context.partition, context.offset);
      const text = bytes.toString('utf8');
      const record = (threw: string | undefined) =>
        trace.decodes.push({ location, invocation: trace.invocation, threw });
      if (environment === 'broken') {
        // A .proto file not shipped with the bundle: every record fails alike.
        record('Error');
        throw Object.assign(new Error("ENOENT: no such file or directory, open '/var/task/trade.proto'"), {
          code: 'ENOENT',
        });
      }
      switch (text[0]) {
        case 't':
          record(undefined);
          // biome-ignore lint/suspicious/noThenProperty: a non-native thenable is the point
          return { then: (resolve: (v: string) => void) => setImmediate(() => resolve(text)) } as never;
        case 's':
          record(undefined);
          return new Promise((resolve) => setTimeout(() => resolve(text), 300));
        case 'h':
          record(undefined);
          return new Promise<never>(() => {});
        case 'a':
          record(undefined);
          return Promise.resolve(text);
        case 'x':
          record('SyntaxError');
          throw new SyntaxError('model: cannot decode this value');
        case 'c':
          record('ConfigError');
          throw new ConfigError('model deserializer: schema.registry.url is missing');
        default:
          record(undefined);
          return text;
      }
    },
  };
}
