import type { LambdaContext } from '../contract/lambda.js';
import { ConfigError } from '../shared/errors.js';

/**
 * The least reserve an invocation can end a batch in: the END_MARGIN_MS (200) kept before Lambda's
 * timeout for the SDK's own error, the floor of the middleware's `after` (100, AFTER_FLOOR_MS of
 * middleware-chain.ts: idempotency's settle), and about 100 each for the flush's acks=all round trip and a transaction's
 * commit. Below it, a record may still be starting when the end needs the time, and Lambda's
 * "Task timed out" ends the invocation instead of our error. It is also the default's minimum.
 */
export const MIN_DEADLINE_RESERVE_MS = 500;
const MIN_RESERVE_MS = MIN_DEADLINE_RESERVE_MS;
const MAX_RESERVE_MS = 10_000;
/** Kept back from every wait so that our error, not Lambda's timeout, ends a stuck invocation. */
const END_MARGIN_MS = 200;
/** The longest function timeout of a Kafka event source mapping (14 minutes). */
const MAX_KAFKA_TIMEOUT_MS = 14 * 60_000;
/** Without a Lambda context (a script, a test), how long the end of a batch may wait for deliveries. */
const DEFAULT_WAIT_MS = 30_000;

/**
 * Rejects a `deadlineReserveMs` that no invocation could honour: not a number, below what the end of
 * a batch needs ({@link MIN_DEADLINE_RESERVE_MS}; refused rather than raised in silence, since a
 * deliberate number that the SDK quietly changes hides the mistake), or not below 14 minutes.
 */
export function checkDeadlineReserve(reserveMs: unknown): number | undefined {
  if (reserveMs === undefined) return undefined;
  if (typeof reserveMs !== 'number' || !Number.isFinite(reserveMs)) {
    throw new ConfigError('deadlineReserveMs must be a finite number of milliseconds');
  }
  if (reserveMs < MIN_DEADLINE_RESERVE_MS) {
    throw new ConfigError(
      `deadlineReserveMs (${reserveMs} ms) is below ${MIN_DEADLINE_RESERVE_MS} ms, what the end of a batch needs (the flush, the idempotency store's settle, a transaction's commit, and the margin before Lambda's timeout)`,
    );
  }
  if (reserveMs >= MAX_KAFKA_TIMEOUT_MS) {
    throw new ConfigError(
      `deadlineReserveMs (${reserveMs} ms) is not shorter than the longest Kafka ESM timeout (14 minutes)`,
    );
  }
  return reserveMs;
}

/**
 * The one time budget of an invocation, read from Lambda's own clock (`getRemainingTimeInMillis`).
 * Two instants matter:
 * - the stop time: no record starts later (the reserve is kept for the end of the batch);
 * - the end: every wait gives up (deliveries, connecting, a process() that ignores its signal),
 *   early enough for the SDK to fail the invocation with its own error before Lambda's timeout.
 */
export class Deadline {
  /** Whether the invocation runs under a Lambda context with a finite remaining time. */
  readonly bounded: boolean;
  readonly #context: LambdaContext | undefined;
  readonly #reserveMs: number;

  constructor(context: LambdaContext | undefined, reserveMs: number | undefined) {
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function'
        ? context.getRemainingTimeInMillis()
        : undefined;
    this.bounded = typeof remaining === 'number' && Number.isFinite(remaining);
    this.#context = this.bounded ? context : undefined;
    if (!this.bounded) {
      this.#reserveMs = 0;
      return;
    }
    if (reserveMs !== undefined && reserveMs >= remaining!) {
      // Starting no record at all would report (or retry) the same offset forever: say why instead.
      throw new ConfigError(
        `deadlineReserveMs (${reserveMs} ms) leaves no time for any record: the invocation had ${remaining} ms`,
      );
    }
    // The default never takes more than half of what is left, so a short function still runs records.
    this.#reserveMs =
      reserveMs ?? Math.min(MAX_RESERVE_MS, Math.max(MIN_RESERVE_MS, remaining! * 0.1), remaining! / 2);
  }

  /** No record may start any more. */
  get passed(): boolean {
    return this.bounded && this.#remaining() <= this.#reserveMs;
  }

  /** Until the stop time; Infinity without a Lambda context. */
  msUntilStop(): number {
    return this.bounded ? Math.max(0, this.#remaining() - this.#reserveMs) : Number.POSITIVE_INFINITY;
  }

  /** How long a wait may still take: until the end, or a default without a Lambda context. */
  msUntilEnd(): number {
    return this.bounded ? Math.max(0, this.#remaining() - END_MARGIN_MS) : DEFAULT_WAIT_MS;
  }

  /**
   * Epoch ms at which Lambda ends the invocation (what it leaves running is frozen or killed); without
   * a Lambda context, the longest Kafka function timeout from now.
   */
  endsAt(): number {
    return Date.now() + (this.bounded ? this.#remaining() : MAX_KAFKA_TIMEOUT_MS);
  }

  #remaining(): number {
    return this.#context!.getRemainingTimeInMillis();
  }
}
