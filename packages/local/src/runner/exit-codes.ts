/**
 * `kafka-lambda-local`'s exit codes:
 * - `ok` (0): stopped on request (Ctrl-C / SIGINT, SIGTERM) after the batch in flight finished and its
 *   offsets were committed; or `--help`.
 * - `failed` (1): the runner stopped on its own: retries exhausted with `--on-retries-exhausted stop`,
 *   the handler file failed to load, or the consumer failed.
 * - `usage` (2): bad command line, or the handler file exports no such function.
 * - 128 + signal number (130 for SIGINT, 143 for SIGTERM): a second signal while stopping.
 *
 * @example
 * ```ts
 * import { spawnSync } from 'node:child_process';
 * const { status } = spawnSync('npx', ['kafka-lambda-local', '--help']);
 * status === EXIT_CODES.ok; // true
 * ```
 */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2 } as const;

/** 128 + the signal's number, as shells report a process ended by it. */
export function signalExitCode(signal: 'SIGINT' | 'SIGTERM' | NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}
