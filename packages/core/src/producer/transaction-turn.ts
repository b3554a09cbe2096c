/**
 * One transaction at a time per producer. Lambda runs one invocation per container, but a process
 * may run several at once on one producer (the local event source runner, a test, a Sink Connector
 * replay): a batch's begin waits for the previous batch's commit or abort instead of cutting it off.
 *
 * @example
 * ```ts
 * const turn = new TransactionTurn();
 * if (!(await turn.take(Date.now() + 5_000))) throw new Error('another batch still holds it');
 * try {
 *   // begin … produce … commit or abort
 * } finally {
 *   turn.release();
 * }
 * ```
 */
export class TransactionTurn {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;
  #since = 0;

  /** How long the current holder has held the turn; 0 when it is free. */
  get heldForMs(): number {
    return this.#held ? Date.now() - this.#since : 0;
  }

  /** Waits until nobody holds the turn, then holds it; false when `until` (epoch ms) came first. */
  async take(until: number): Promise<boolean> {
    while (this.#held) {
      const left = until - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, left);
      });
      await Promise.race([this.#held, timeUp]);
      clearTimeout(timer);
    }
    this.#held = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
    this.#since = Date.now();
    return true;
  }

  /** Frees the turn: the next waiting batch takes it. */
  release(): void {
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
  }
}
