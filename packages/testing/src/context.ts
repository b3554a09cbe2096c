import { randomUUID } from 'node:crypto';
import { InvalidTestInputError } from './errors.js';

/**
 * The `Context` object Lambda passes to a handler, field for field as in `@types/aws-lambda`'s `Context`
 * (declared here so that this package needs no `@types/aws-lambda` at run time).
 */
export interface TestLambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  identity?: { cognitoIdentityId: string; cognitoIdentityPoolId: string } | undefined;
  clientContext?: undefined;
  tenantId?: string | undefined;
  /** Time left before Lambda would stop the invocation: `timeoutMs` minus what elapsed since creation. */
  getRemainingTimeInMillis(): number;
  /** Epoch ms at which the invocation would time out. */
  readonly deadlineMs: number;
  /** @deprecated Lambda's pre-promise API; throws, since a Kafka handler must return or throw. */
  done(error?: Error, result?: unknown): void;
  /** @deprecated see {@link TestLambdaContext.done}. */
  fail(error: Error | string): void;
  /** @deprecated see {@link TestLambdaContext.done}. */
  succeed(messageOrObject: unknown, object?: unknown): void;
}

/** Options of {@link lambdaContext}. */
export interface LambdaContextOptions {
  /** The function's timeout. Default 60 000 ms (Kafka ESM functions may run up to 14 minutes). */
  timeoutMs?: number;
  /** Default `kafka-consumer`. */
  functionName?: string;
  /** Default `$LATEST`. */
  functionVersion?: string;
  /** Default 1024. */
  memoryLimitInMB?: number;
  /** Default a random UUID. */
  awsRequestId?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Default `123456789012`. */
  accountId?: string;
  tenantId?: string;
  /**
   * Where "now" comes from, in epoch ms. Default `Date.now` (so Vitest/Jest fake timers drive it too);
   * pass a {@link manualClock} to move time by hand.
   */
  clock?: () => number;
}

/**
 * A Lambda context whose `getRemainingTimeInMillis()` counts down from its creation, like the real one.
 *
 * @example
 * ```ts
 * import { lambdaContext, manualClock } from '@kafka-lambda/testing';
 *
 * const context = lambdaContext({ timeoutMs: 30_000, functionName: 'settlement' });
 * console.log(context.getRemainingTimeInMillis()); // ~30000
 *
 * const clock = manualClock();
 * const late = lambdaContext({ timeoutMs: 1_000, clock });
 * clock.advance(900);
 * console.log(late.getRemainingTimeInMillis()); // 100
 * ```
 */
export function lambdaContext(options: LambdaContextOptions = {}): TestLambdaContext {
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0))
    throw new InvalidTestInputError('timeoutMs', 'a positive number');
  // Looked up on every call, so fake timers installed after creation still drive it.
  const clock = options.clock ?? (() => Date.now());
  if (typeof clock !== 'function') throw new InvalidTestInputError('clock', 'a function returning epoch ms');
  const functionName = options.functionName ?? 'kafka-consumer';
  const functionVersion = options.functionVersion ?? '$LATEST';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const deadlineMs = clock() + timeoutMs;
  const deprecated = (name: string) => () => {
    throw new InvalidTestInputError(
      `context.${name}()`,
      'no call: return a value or throw from an async handler',
    );
  };
  const context: TestLambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion,
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[${functionVersion}]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - clock()),
    deadlineMs,
    done: deprecated('done'),
    fail: deprecated('fail'),
    succeed: deprecated('succeed'),
  };
  if (options.tenantId !== undefined) context.tenantId = options.tenantId;
  return context;
}

/**
 * A clock that moves only when told to; pass it as `lambdaContext({ clock })`.
 *
 * @example
 * ```ts
 * const clock: ManualClock = manualClock(0);
 * clock.advance(250);
 * console.log(clock()); // 250
 * ```
 */
export interface ManualClock {
  (): number;
  /** Current time, epoch ms. */
  now(): number;
  /** Moves time forward. */
  advance(ms: number): void;
  /** Jumps to an absolute time. */
  set(epochMs: number): void;
}

/**
 * A hand-driven clock for {@link lambdaContext}: the context's remaining time changes only when the test
 * says so.
 *
 * @example
 * ```ts
 * import { lambdaContext, manualClock } from '@kafka-lambda/testing';
 *
 * const clock = manualClock(Date.parse('2025-01-01T00:00:00Z'));
 * const context = lambdaContext({ timeoutMs: 5_000, clock });
 * clock.advance(4_500);
 * console.log(context.getRemainingTimeInMillis()); // 500
 * ```
 */
export function manualClock(startMs: number = Date.now()): ManualClock {
  let now = startMs;
  const clock = (() => now) as ManualClock;
  clock.now = () => now;
  clock.advance = (ms: number) => {
    if (!Number.isFinite(ms) || ms < 0)
      throw new InvalidTestInputError('advance(ms)', 'a non-negative number');
    now += ms;
  };
  clock.set = (epochMs: number) => {
    if (!Number.isFinite(epochMs)) throw new InvalidTestInputError('set(epochMs)', 'a finite number');
    now = epochMs;
  };
  return clock;
}
