import type { BatchReport, RunnerStats } from './types.js';

type Predicate = (stats: RunnerStats, batches: readonly BatchReport[]) => boolean;

interface Waiter {
  readonly predicate: Predicate;
  readonly resolve: (stats: RunnerStats) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** The pending `waitFor` calls of a runner: checked after each invocation, rejected when it stops. */
export class Waiters {
  readonly #waiters = new Set<Waiter>();

  constructor(
    readonly stats: RunnerStats,
    readonly batches: readonly BatchReport[],
  ) {}

  /** Resolves once `predicate` holds, rejects after `timeoutMs` (naming the stats then). */
  add(predicate: Predicate, timeoutMs: number): Promise<RunnerStats> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(
            new Error(
              `waitFor: condition not met within ${timeoutMs} ms; stats: ${JSON.stringify(this.stats)}`,
            ),
          );
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Settles the waiters whose predicate holds now (a predicate that throws rejects its waiter). */
  notify(): void {
    for (const waiter of [...this.#waiters]) {
      let matched = false;
      try {
        matched = waiter.predicate(this.stats, this.batches);
      } catch (error) {
        this.#settle(waiter, error instanceof Error ? error : new Error(String(error)));
        continue;
      }
      if (matched) this.#settle(waiter);
    }
  }

  /** Rejects every waiter with `error`. */
  rejectAll(error: Error): void {
    for (const waiter of [...this.#waiters]) this.#settle(waiter, error);
  }

  #settle(waiter: Waiter, error?: Error): void {
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
    if (error) waiter.reject(error);
    else waiter.resolve(this.stats);
  }
}
