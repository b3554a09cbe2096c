/**
 * Collapses a line that repeats: librdkafka reports "all broker connections are down" several times a
 * second while a broker is away (294 identical lines in 10 s, seen in a local run). The first line of
 * a kind is written at once; its repeats are counted and written as ONE summary line (how many, the
 * first and the last time) when another kind of line comes, every `summaryEveryMs` while they go on,
 * and on {@link RepeatedLines.flush} (when the runner stops).
 *
 * @example
 * ```ts
 * const lines = new RepeatedLines((message, fields) => logger.warn(message, fields));
 * lines.write('kafka consumer reported an error', 'all broker connections are down', { error });
 * lines.flush();
 * ```
 */
export class RepeatedLines {
  readonly #write: (message: string, fields: Record<string, unknown>) => void;
  readonly #summaryEveryMs: number;
  readonly #now: () => number;
  #current:
    | { message: string; key: string; repeats: number; firstAt: number; lastAt: number; summarizedAt: number }
    | undefined;

  constructor(
    write: (message: string, fields: Record<string, unknown>) => void,
    summaryEveryMs = 30_000,
    now: () => number = Date.now,
  ) {
    this.#write = write;
    this.#summaryEveryMs = summaryEveryMs;
    this.#now = now;
  }

  /** Writes `message` unless it repeats the last one of the same `key` (what tells lines apart). */
  write(message: string, key: string, fields: Record<string, unknown>): void {
    const now = this.#now();
    const current = this.#current;
    if (current && current.key === key && current.message === message) {
      current.repeats++;
      current.lastAt = now;
      if (now - current.summarizedAt >= this.#summaryEveryMs) {
        this.#summarize();
        current.summarizedAt = now;
      }
      return;
    }
    this.flush();
    this.#current = { message, key, repeats: 0, firstAt: now, lastAt: now, summarizedAt: now };
    this.#write(message, fields);
  }

  /** Writes the pending summary of repeats, if any. */
  flush(): void {
    this.#summarize();
    this.#current = undefined;
  }

  #summarize(): void {
    const current = this.#current;
    if (!current || current.repeats === 0) return;
    this.#write(`${current.message} (repeated)`, {
      reason: current.key,
      repeats: current.repeats,
      firstAt: new Date(current.firstAt).toISOString(),
      lastAt: new Date(current.lastAt).toISOString(),
    });
    current.repeats = 0;
    current.firstAt = current.lastAt;
  }
}
