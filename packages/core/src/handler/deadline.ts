import type { LambdaContext } from './types.js';

const MIN_RESERVE_MS = 500;
const MAX_RESERVE_MS = 10_000;
/** Kept back from the flush so that our error, not Lambda's timeout, ends a stuck invocation. */
const FLUSH_MARGIN_MS = 200;
/** Without a Lambda context (a script, a test), how long a flush may take. */
const DEFAULT_FLUSH_TIMEOUT_MS = 30_000;

/** When an invocation must stop starting records, and how long its flush may take. */
export class Deadline {
  /** Epoch ms after which no record starts; Infinity without a Lambda context. */
  readonly stopAt: number;
  readonly #context: LambdaContext | undefined;

  constructor(context: LambdaContext | undefined, reserveMs: number | undefined, now = Date.now()) {
    this.#context = typeof context?.getRemainingTimeInMillis === 'function' ? context : undefined;
    const remaining = this.#context?.getRemainingTimeInMillis();
    if (remaining === undefined || !Number.isFinite(remaining)) {
      this.stopAt = Number.POSITIVE_INFINITY;
      return;
    }
    const reserve = reserveMs ?? Math.min(MAX_RESERVE_MS, Math.max(MIN_RESERVE_MS, remaining * 0.1));
    this.stopAt = now + remaining - reserve;
  }

  get passed(): boolean {
    return Date.now() >= this.stopAt;
  }

  msUntilStop(): number {
    return this.stopAt - Date.now();
  }

  /** The time left for the flush: what Lambda leaves us, minus a margin to report the failure ourselves. */
  flushTimeoutMs(): number {
    const remaining = this.#context?.getRemainingTimeInMillis();
    if (remaining === undefined || !Number.isFinite(remaining)) return DEFAULT_FLUSH_TIMEOUT_MS;
    return Math.max(1, remaining - FLUSH_MARGIN_MS);
  }
}
