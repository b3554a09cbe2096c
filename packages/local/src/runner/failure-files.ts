import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@kafka-lambda/core';
import { fromFailureRecords } from '@kafka-lambda/core/events';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import { FailureReplayInvoker } from './failure-replay-invoker.js';
import { InProcessInvoker } from './in-process-invoker.js';
import type { Invoker, LocalHandler } from './types.js';

/** Options of {@link replayFailureFiles}. */
export interface FailureFilesOptions {
  /** A folder the runner's S3 destination wrote (`<failureDir>/s3/<bucket>`), or any folder of such files; read recursively. */
  readonly dir: string;
  /** The handler, called in-process. */
  readonly handler: LocalHandler;
  /** The function timeout of each invocation. Default 60,000 ms. */
  readonly timeoutMs?: number;
  /** Function name in the context. Default `kafka-lambda-local`. */
  readonly functionName?: string;
  readonly logger?: Logger;
}

/** What {@link replayFailureFiles} did: one entry per file, in name order. */
export interface FailureFilesSummary {
  readonly replayed: readonly string[];
  /** Files whose invocation failed, or that cannot be replayed (an SQS/SNS record has no payload). */
  readonly failed: ReadonlyArray<{ readonly file: string; readonly error: Error }>;
}

/**
 * Replays the on-failure records a local run wrote for an S3 destination (JSON files in AWS's shape):
 * each file is one failed invocation, handed to the handler once as the ESM event of its records
 * with the failure metadata on each ({@link fromFailureRecords}). A file whose invocation fails, or
 * reports batch item failures (their offsets are the source topic's), is listed in `failed`, as is a
 * metadata-only SQS/SNS file, named with why; nothing is retried or deleted, so a second run replays
 * the same files.
 *
 * @example
 * ```ts
 * import { replayFailureFiles } from '@kafka-lambda/local';
 *
 * const { replayed, failed } = await replayFailureFiles({ dir: '.kafka-lambda-local/failures/s3/failed-batches', handler });
 * if (failed.length > 0) throw failed[0]!.error;
 * ```
 */
export async function replayFailureFiles(options: FailureFilesOptions): Promise<FailureFilesSummary> {
  if (typeof options.handler !== 'function') throw new InvalidTestInputError('handler', 'a function');
  const invoker = new InProcessInvoker(options.handler, options.functionName ?? 'kafka-lambda-local');
  return replayFiles(options.dir, invoker, options.timeoutMs ?? 60_000, options.logger);
}

/** {@link replayFailureFiles} over any {@link Invoker} (the CLI's emulator too). */
export async function replayFiles(
  dir: string,
  invoker: Invoker,
  timeoutMs: number,
  logger: Logger | undefined,
): Promise<FailureFilesSummary> {
  const files = await jsonFiles(dir);
  const replayed: string[] = [];
  const failed: Array<{ file: string; error: Error }> = [];
  // The batchItemFailures check of a replayed on-failure topic applies to a file as well.
  const replay = new FailureReplayInvoker(invoker);
  for (const file of files) {
    try {
      const event = fromFailureRecords([await readFile(file)]);
      replay.check(await invoker.invoke(event, timeoutMs));
      replayed.push(file);
      logger?.info('replayed on-failure record', { file });
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      failed.push({ file, error: failure });
      logger?.error('on-failure record not replayed', { file, error: failure });
    }
  }
  return { replayed, failed };
}

async function jsonFiles(dir: string): Promise<string[]> {
  let entries: Array<{ name: string; isDirectory(): boolean; isFile(): boolean }>;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new InvalidTestInputError(
      'dir',
      `a readable folder of on-failure records (${(error as Error).message})`,
    );
  }
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await jsonFiles(full)));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(full);
  }
  return out;
}
