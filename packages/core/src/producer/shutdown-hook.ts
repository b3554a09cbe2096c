import type { Logger } from '../logger.js';

const open = new Set<{ close(timeoutMs?: number): Promise<void> }>();
let installed = false;

/** Forgets a producer closed meanwhile: the container does not keep every producer alive. */
export function forgetOnSigterm(producer: { close(timeoutMs?: number): Promise<void> }): void {
  open.delete(producer);
}

/**
 * Closes `producer` (flushing what it still holds) when the container is shut down, with every
 * other producer registered so: one SIGTERM listener for all of them, installed on first use.
 *
 * @example
 * ```ts
 * closeOnSigterm(kafkaProducer(config), logger);
 * ```
 */
export function closeOnSigterm(producer: { close(timeoutMs?: number): Promise<void> }, logger: Logger): void {
  open.add(producer);
  if (installed) return;
  installed = true;
  onSigterm(async () => {
    const producers = [...open];
    const results = await Promise.allSettled(producers.map((p) => p.close(1_500)));
    const failed = results.filter((result) => result.status === 'rejected').length;
    logger.info('flushed and closed producers on SIGTERM', { producers: producers.length, failed });
  }, logger);
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
