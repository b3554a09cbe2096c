import { KafkaLambdaError } from '../shared/errors.js';

/** The reason of a batch that ended before anyone took its signal; a real error is made on demand. */
const ENDED = new KafkaLambdaError('the invocation ended');

/**
 * A batch's abort signal, made only when someone takes it: most batches end without anyone
 * listening, and an AbortController (with its error and stack) per invocation is measurable.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #reason: Error | undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      const reason = this.#reason === ENDED ? new KafkaLambdaError('the invocation ended') : this.#reason;
      if (reason) this.#controller.abort(reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  /** Aborts with `reason`, unless already aborted. */
  abort(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** The invocation ended: anyone still holding the signal learns it (an error only if someone does). */
  end(): void {
    if (this.#reason !== undefined) return;
    if (this.#controller) this.abort(new KafkaLambdaError('the invocation ended'));
    else this.#reason = ENDED;
  }
}
