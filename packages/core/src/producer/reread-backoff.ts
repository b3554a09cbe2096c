/**
 * How often a config source may be re-read after failures that may come from it (the client could
 * not be created, could not connect, or its credentials were refused). The first failure re-reads at
 * once, so a rotated secret is picked up by the next attempt; after that at most once per 1 s, 2 s,
 * 4 s, … 60 s, so a broken secret costs about 15 Secrets Manager reads in 10 minutes of constant
 * failure, not one per invocation. A success resets it. Between re-reads, attempts use the cached value.
 *
 * @example
 * ```ts
 * const backoff = new RereadBackoff();
 * if (backoff.failed()) source.invalidate?.(); // true now, then false until 1 s has passed
 * ```
 */
export class RereadBackoff {
  #failures = 0;
  #nextAt = 0;

  constructor(
    readonly baseMs = 1_000,
    readonly maxMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure; true when the source should be re-read now. */
  failed(): boolean {
    const now = this.now();
    if (now < this.#nextAt) return false;
    this.#failures++;
    this.#nextAt = now + Math.min(this.maxMs, this.baseMs * 2 ** (this.#failures - 1));
    return true;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#nextAt = 0;
  }
}
