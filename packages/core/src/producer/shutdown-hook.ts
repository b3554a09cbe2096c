import type { Logger } from '../shared/logger.js';

/** What the hook closes: a producer, or anything that closes like one. */
interface Closable {
  close(timeoutMs?: number): Promise<void>;
}

/**
 * The producers of a container that are closed (flushing what they still hold) when it is shut
 * down: one SIGTERM listener for all of them, installed on the first `add`. A producer closed by its
 * owner is forgotten, so that the container does not keep every producer it ever made alive.
 *
 * @example
 * ```ts
 * const producers = new ProducersOnSigterm();
 * producers.add(kafkaProducer(config), logger);
 * ```
 */
export class ProducersOnSigterm {
  readonly #open = new Set<Closable>();
  readonly #target: SignalTarget | undefined;
  #installed = false;

  /** `target`: the process by default (a test passes its own). */
  constructor(target?: SignalTarget) {
    this.#target = target;
  }

  add(producer: Closable, logger: Logger): void {
    this.#open.add(producer);
    if (this.#installed) return;
    this.#installed = true;
    onSigterm(
      async () => {
        const producers = [...this.#open];
        // Every producer was closed already (by its owner): nothing to flush, nothing to say.
        if (producers.length === 0) return;
        const results = await Promise.allSettled(producers.map((p) => p.close(1_500)));
        const failed = results.filter((result) => result.status === 'rejected').length;
        logger.info('flushed and closed producers on SIGTERM', { producers: producers.length, failed });
      },
      logger,
      this.#target,
    );
  }

  forget(producer: Closable): void {
    this.#open.delete(producer);
  }
}

const container = new ProducersOnSigterm();

/** Closes `producer` when the container is shut down (see {@link ProducersOnSigterm}). */
export function closeOnSigterm(producer: Closable, logger: Logger): void {
  container.add(producer, logger);
}

/** Forgets a producer its owner closed. */
export function forgetOnSigterm(producer: Closable): void {
  container.forget(producer);
}

/** The slice of `process` the hook uses (a test passes its own). */
export interface SignalTarget {
  readonly pid: number;
  once(signal: 'SIGTERM', listener: () => void): unknown;
  listenerCount(signal: 'SIGTERM'): number;
  kill(pid: number, signal: 'SIGTERM'): unknown;
}

/**
 * Lambda sends SIGTERM before shutting a container down only when an extension is registered: use
 * that moment to deliver what is still queued. The process's fate stays with its owner: when someone
 * else listens to SIGTERM too (the user's code, a local runner), nothing more happens after closing;
 * when ours was the only listener, the signal is raised again so that Node's default (exit) applies,
 * as if we had never listened. No `process.exit`.
 *
 * @example
 * ```ts
 * onSigterm(() => Promise.allSettled(producers.map((p) => p.close(1_500))), logger);
 * ```
 */
export function onSigterm(
  closeAll: () => Promise<unknown>,
  logger: Logger,
  target: SignalTarget = process,
): void {
  target.once('SIGTERM', () => {
    closeAll()
      .catch((error: unknown) => logger.warn('closing producers on SIGTERM failed', { error }))
      .finally(() => {
        if (target.listenerCount('SIGTERM') === 0) target.kill(target.pid, 'SIGTERM');
      });
  });
}
