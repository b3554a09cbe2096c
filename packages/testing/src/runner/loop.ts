import type { KafkaEvent, KafkaEventRecord, Logger } from '@kafka-lambda/core';
import { kafkaRecord } from '../events.js';
import { InvalidBatchResponseError, RetriesExhaustedError } from './errors.js';
import type {
  BatchReport,
  BatchTrigger,
  EventSourceRunner,
  Invoker,
  RecordRef,
  RecordSource,
  RetriesExhaustedAction,
  RunnerStats,
  SourceMessage,
} from './types.js';

/** The runner's options after defaults and checks. */
export interface LoopSettings {
  readonly batchSize: number;
  readonly batchWindowMs: number;
  readonly maxPayloadBytes: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxRetries: number;
  readonly onRetriesExhausted: RetriesExhaustedAction;
  readonly retryBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly eventSource: 'aws:kafka' | 'SelfManagedKafka';
  readonly eventSourceArn: string | undefined;
  readonly bootstrapServers: string;
  readonly signedHeaderBytes: boolean;
  readonly logger: Logger;
  readonly onBatch: ((batch: BatchReport) => void) | undefined;
  readonly onSkip: ((records: readonly RecordRef[], error: Error) => void) | undefined;
}

/** Fixed overhead of the event envelope, generously rounded. */
const EVENT_OVERHEAD_BYTES = 512;

interface Buffered {
  readonly ref: RecordRef;
  readonly record: KafkaEventRecord;
  readonly bytes: number;
  readonly arrivedAt: number;
}

interface PartitionState {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  queue: Buffered[];
  inFlight: boolean;
  /** Consecutive failed attempts at the head of the queue. */
  attempts: number;
  /** No batch for this partition before this time (epoch ms). */
  retryAt: number;
  paused: boolean;
}

interface Waiter {
  readonly predicate: (stats: RunnerStats, batches: readonly BatchReport[]) => boolean;
  readonly resolve: (stats: RunnerStats) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The event source mapping's polling loop, independent of the Kafka client: buffers records per
 * partition, cuts batches by size, payload and window, keeps one batch in flight per partition, commits
 * only what succeeded, and retries the rest with backoff.
 *
 * Records stay in memory until committed, so a retry (whole batch or from a reported offset) re-sends
 * them from the buffer: equivalent to the ESM's seek back to the committed offset, without racing the
 * consumer's own fetch position.
 */
export class EventSourceLoop implements EventSourceRunner {
  readonly stats: RunnerStats = {
    invocations: 0,
    recordsInvoked: 0,
    recordsCommitted: 0,
    errors: 0,
    partialFailures: 0,
    retries: 0,
    skipped: 0,
    committed: {},
  };
  readonly batches: BatchReport[] = [];
  readonly ready: Promise<void>;
  readonly done: Promise<RunnerStats>;

  readonly #settings: LoopSettings;
  readonly #source: RecordSource;
  readonly #invoker: Invoker;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #waiters = new Set<Waiter>();
  readonly #queueLimit: number;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #stopping = false;
  #failure: Error | undefined;
  #polling: Promise<void> | undefined;
  #shutdown: Promise<void> | undefined;
  #resolveReady!: () => void;
  #resolveDone!: (stats: RunnerStats) => void;
  #rejectDone!: (error: Error) => void;

  constructor(settings: LoopSettings, source: RecordSource, invoker: Invoker) {
    this.#settings = settings;
    this.#source = source;
    this.#invoker = invoker;
    // Enough for two full batches, so the next batch is ready when the current one returns.
    this.#queueLimit = Math.max(2 * settings.batchSize, 200);
    this.ready = new Promise((resolve) => {
      this.#resolveReady = resolve;
    });
    this.done = new Promise((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // `done` rejecting is reported through waitFor and stop too: never let it be an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** Connects the source and starts polling. */
  async start(): Promise<void> {
    await this.#source.start({
      onAssigned: () => this.#resolveReady(),
      onRevoked: (partitions) => this.#revoke(partitions),
    });
    this.#polling = this.#pollLoop().catch((error: unknown) => this.#fail(asError(error)));
  }

  waitFor(
    predicate: (stats: RunnerStats, batches: readonly BatchReport[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<RunnerStats> {
    if (predicate(this.stats, this.batches)) return Promise.resolve(this.stats);
    if (this.#failure) return Promise.reject(this.#failure);
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

  async stop(): Promise<RunnerStats> {
    this.#stopping = true;
    await this.#close();
    if (!this.#failure) this.#resolveDone(this.stats);
    return this.stats;
  }

  async #pollLoop(): Promise<void> {
    while (!this.#stopping && !this.#failure) {
      const messages = await this.#source.poll(Math.min(this.#settings.batchSize, 1_000));
      if (this.#stopping || this.#failure) return;
      const now = Date.now();
      for (const message of messages) this.#buffer(message, now);
      this.#applyBackpressure();
      this.#dispatch();
    }
  }

  #buffer(message: SourceMessage, now: number): void {
    const state = this.#partition(message.topic, message.partition);
    const last = state.queue[state.queue.length - 1];
    // A rebalance can hand back records we still hold: keep one copy of each offset.
    if (last && message.offset <= last.ref.offset) return;
    const record = kafkaRecord(
      {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        timestamp: message.timestamp,
        key: message.key ?? undefined,
        value: message.value,
        headers: message.headers as Array<[string, Buffer]>,
      },
      { signedHeaderBytes: this.#settings.signedHeaderBytes },
    );
    const ref = { topic: message.topic, partition: message.partition, offset: message.offset };
    state.queue.push({ ref, record, bytes: Buffer.byteLength(JSON.stringify(record)) + 1, arrivedAt: now });
  }

  #partition(topic: string, partition: number): PartitionState {
    const key = `${topic}-${partition}`;
    let state = this.#partitions.get(key);
    if (!state) {
      state = { key, topic, partition, queue: [], inFlight: false, attempts: 0, retryAt: 0, paused: false };
      this.#partitions.set(key, state);
    }
    return state;
  }

  #applyBackpressure(): void {
    const pause: PartitionState[] = [];
    const resume: PartitionState[] = [];
    for (const state of this.#partitions.values()) {
      if (!state.paused && state.queue.length >= this.#queueLimit) pause.push(state);
      else if (state.paused && state.queue.length < this.#queueLimit / 2) resume.push(state);
    }
    if (pause.length > 0) {
      for (const state of pause) state.paused = true;
      this.#source.pause(pause);
    }
    if (resume.length > 0) {
      for (const state of resume) state.paused = false;
      this.#source.resume(resume);
    }
  }

  /** Starts as many batches as allowed and ready; otherwise arms a timer for when one will be. */
  #dispatch(): void {
    if (this.#stopping || this.#failure) return;
    const { batchSize, batchWindowMs, maxPayloadBytes, concurrency } = this.#settings;
    while (this.#inFlight.size < concurrency) {
      const now = Date.now();
      const eligible = [...this.#partitions.values()].filter(
        (state) => !state.inFlight && state.queue.length > 0 && state.retryAt <= now,
      );
      if (eligible.length === 0) break;
      let count = 0;
      let bytes = EVENT_OVERHEAD_BYTES;
      let oldest = Number.POSITIVE_INFINITY;
      let retry = false;
      for (const state of eligible) {
        count += state.queue.length;
        for (const item of state.queue) bytes += item.bytes;
        oldest = Math.min(oldest, state.queue[0]!.arrivedAt);
        retry ||= state.attempts > 0;
      }
      const trigger: BatchTrigger | undefined = retry
        ? 'retry'
        : count >= batchSize
          ? 'size'
          : bytes >= maxPayloadBytes
            ? 'payload'
            : now - oldest >= batchWindowMs
              ? 'window'
              : undefined;
      if (!trigger) {
        this.#armTimer(oldest + batchWindowMs);
        break;
      }
      this.#startBatch(eligible, trigger);
    }
    // Partitions backing off: come back when the first may retry.
    let nextRetry = Number.POSITIVE_INFINITY;
    for (const state of this.#partitions.values()) {
      if (!state.inFlight && state.queue.length > 0 && state.retryAt > Date.now())
        nextRetry = Math.min(nextRetry, state.retryAt);
    }
    if (Number.isFinite(nextRetry)) this.#armTimer(nextRetry);
  }

  #armTimer(at: number): void {
    if (this.#timer && this.#timerAt <= at) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#dispatch();
      },
      Math.max(0, at - Date.now()),
    );
  }

  #startBatch(eligible: PartitionState[], trigger: BatchTrigger): void {
    const { batchSize, maxPayloadBytes } = this.#settings;
    // Oldest records first, partition by partition, as the ESM fills a batch.
    eligible.sort((a, b) => a.queue[0]!.arrivedAt - b.queue[0]!.arrivedAt);
    const taken = new Map<PartitionState, Buffered[]>();
    let count = 0;
    let bytes = EVENT_OVERHEAD_BYTES;
    let capped = false;
    fill: for (const state of eligible) {
      const groupBytes = state.key.length + 8;
      for (const item of state.queue) {
        if (count >= batchSize) break fill;
        if (count > 0 && bytes + groupBytes + item.bytes > maxPayloadBytes) {
          capped = true;
          break fill;
        }
        if (count === 0 && bytes + groupBytes + item.bytes > maxPayloadBytes) {
          this.#settings.logger.warn('a single record exceeds the payload cap; sending it alone', {
            ...item.ref,
          });
        }
        let list = taken.get(state);
        if (!list) {
          list = [];
          taken.set(state, list);
          bytes += groupBytes;
        }
        list.push(item);
        bytes += item.bytes;
        count++;
      }
    }
    for (const [state, items] of taken) {
      state.queue = state.queue.slice(items.length);
      state.inFlight = true;
    }
    const finalTrigger = capped && trigger !== 'retry' ? 'payload' : trigger;
    const run = this.#invoke(taken, finalTrigger, bytes).catch((error: unknown) =>
      this.#fail(asError(error)),
    );
    this.#inFlight.add(run);
    void run.finally(() => {
      this.#inFlight.delete(run);
      this.#applyBackpressure();
      this.#dispatch();
    });
  }

  async #invoke(
    taken: Map<PartitionState, Buffered[]>,
    trigger: BatchTrigger,
    payloadBytes: number,
  ): Promise<void> {
    const { logger } = this.#settings;
    const invocation = ++this.stats.invocations;
    const records: Record<string, KafkaEventRecord[]> = {};
    const refs: RecordRef[] = [];
    for (const [state, items] of taken) {
      records[state.key] = items.map((item) => item.record);
      for (const item of items) refs.push(item.ref);
    }
    this.stats.recordsInvoked += refs.length;
    const event: KafkaEvent = {
      eventSource: this.#settings.eventSource,
      ...(this.#settings.eventSourceArn ? { eventSourceArn: this.#settings.eventSourceArn } : {}),
      bootstrapServers: this.#settings.bootstrapServers,
      records,
    };

    let result: unknown;
    let error: Error | undefined;
    try {
      result = await this.#invoker.invoke(event, this.#settings.timeoutMs);
    } catch (thrown) {
      error = asError(thrown);
    }

    // Where each partition resumes; a partition absent from the map fully succeeded.
    const resumeAt = new Map<PartitionState, number>();
    if (!error && this.#settings.reportBatchItemFailures) {
      try {
        for (const [state, offset] of reportedOffsets(result, taken)) resumeAt.set(state, offset);
      } catch (invalid) {
        error = asError(invalid);
      }
    }
    if (error) {
      this.stats.errors++;
      for (const [state, items] of taken) resumeAt.set(state, items[0]!.ref.offset);
      logger.error('invocation failed; its batch will be retried', {
        invocation,
        records: refs.length,
        error,
      });
    } else if (resumeAt.size > 0) {
      this.stats.partialFailures++;
      logger.warn('invocation reported batch item failures; resuming those partitions there', {
        invocation,
        resumeAt: Object.fromEntries([...resumeAt].map(([state, offset]) => [state.key, offset])),
      });
    }

    const commits: RecordRef[] = [];
    const retried: RecordRef[] = [];
    const skipped: RecordRef[] = [];
    let exhausted: RetriesExhaustedError | undefined;
    for (const [state, items] of taken) {
      const resume = resumeAt.get(state);
      const succeeded = resume === undefined ? items : items.filter((item) => item.ref.offset < resume);
      const failed = resume === undefined ? [] : items.filter((item) => item.ref.offset >= resume);
      let nextOffset = succeeded.length > 0 ? succeeded[succeeded.length - 1]!.ref.offset + 1 : undefined;
      if (failed.length === 0) {
        state.attempts = 0;
      } else if (succeeded.length > 0) {
        // Progress resets the count: the retry concerns a new head record.
        state.attempts = 1;
      } else {
        state.attempts++;
      }
      if (failed.length > 0 && state.attempts > this.#settings.maxRetries) {
        const cause = error ?? new Error(`the handler reported ${state.key}@${resume} as failed`);
        const failedRefs = failed.map((item) => item.ref);
        if (this.#settings.onRetriesExhausted === 'skip') {
          logger.error('RETRIES EXHAUSTED: skipping records (onRetriesExhausted: skip)', {
            partition: state.key,
            fromOffset: failedRefs[0]!.offset,
            toOffset: failedRefs[failedRefs.length - 1]!.offset,
            attempts: state.attempts,
            error: cause,
          });
          skipped.push(...failedRefs);
          this.#settings.onSkip?.(failedRefs, cause);
          nextOffset = failedRefs[failedRefs.length - 1]!.offset + 1;
          state.attempts = 0;
        } else {
          exhausted ??= new RetriesExhaustedError(failedRefs, state.attempts, cause);
          state.queue = [...failed, ...state.queue];
        }
      } else if (failed.length > 0) {
        state.queue = [...failed, ...state.queue];
        state.retryAt = Date.now() + this.#backoff(state.attempts);
        this.stats.retries++;
        retried.push(...failed.map((item) => item.ref));
      }
      if (nextOffset !== undefined && this.#partitions.get(state.key) === state) {
        commits.push({ topic: state.topic, partition: state.partition, offset: nextOffset });
      }
    }

    const committed: Record<string, number> = {};
    if (commits.length > 0) {
      try {
        await this.#source.commit(commits);
        for (const commit of commits) {
          const key = `${commit.topic}-${commit.partition}`;
          const before = this.stats.committed[key];
          committed[key] = commit.offset;
          this.stats.committed[key] = commit.offset;
          const state = this.#partitions.get(key);
          const items = state ? (taken.get(state) ?? []) : [];
          this.stats.recordsCommitted += items.filter(
            (item) => item.ref.offset < commit.offset && (before === undefined || item.ref.offset >= before),
          ).length;
        }
      } catch (commitError) {
        // Processed but not committed: redelivered after a restart (at-least-once), never lost.
        logger.error('offset commit failed', { error: asError(commitError), offsets: commits });
      }
    }
    this.stats.skipped += skipped.length;
    for (const state of taken.keys()) state.inFlight = false;

    const outcome = error ? 'error' : resumeAt.size > 0 ? 'partial' : 'success';
    const report: BatchReport = {
      invocation,
      trigger,
      records: refs,
      payloadBytes,
      outcome,
      retried,
      result,
      error,
      committed,
    };
    this.batches.push(report);
    try {
      this.#settings.onBatch?.(report);
    } catch (hookError) {
      logger.warn('onBatch threw', { error: asError(hookError) });
    }
    if (exhausted) {
      logger.error(
        'RETRIES EXHAUSTED: stopping the runner; the failed records stay uncommitted (onRetriesExhausted: stop)',
        {
          records: exhausted.records.length,
          first: exhausted.records[0],
          error: exhausted,
        },
      );
      this.#fail(exhausted);
    }
    this.#notify();
  }

  #backoff(attempts: number): number {
    const { retryBackoffMs, maxBackoffMs } = this.#settings;
    return Math.min(maxBackoffMs, retryBackoffMs * 2 ** Math.max(0, attempts - 1));
  }

  #revoke(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    // Whoever gets these partitions next reads them from the committed offset.
    for (const { topic, partition } of partitions) this.#partitions.delete(`${topic}-${partition}`);
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) {
      let matched = false;
      try {
        matched = waiter.predicate(this.stats, this.batches);
      } catch (error) {
        this.#settleWaiter(waiter, asError(error));
        continue;
      }
      if (matched) this.#settleWaiter(waiter);
    }
  }

  #settleWaiter(waiter: Waiter, error?: Error): void {
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
    if (error) waiter.reject(error);
    else waiter.resolve(this.stats);
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const waiter of [...this.#waiters]) this.#settleWaiter(waiter, error);
    // `done` settles once the consumer is closed, so a caller awaiting it can start a new runner at once.
    void this.#close().then(() => this.#rejectDone(error));
  }

  #close(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#stopping = true;
      clearTimeout(this.#timer);
      await this.#polling;
      // In-flight batches finish and commit; nothing new starts.
      while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
      const logger = this.#settings.logger;
      await this.#source
        .close()
        .catch((error: unknown) => logger.warn('consumer close failed', { error: asError(error) }));
      await this.#invoker
        .close()
        .catch((error: unknown) => logger.warn('invoker close failed', { error: asError(error) }));
      for (const waiter of [...this.#waiters]) {
        this.#settleWaiter(
          waiter,
          this.#failure ?? new Error('waitFor: the runner stopped before the condition held'),
        );
      }
    })();
    return this.#shutdown;
  }
}

/** The offset each partition resumes at, from a `{ batchItemFailures }` response. */
function reportedOffsets(
  result: unknown,
  taken: Map<PartitionState, Buffered[]>,
): Map<PartitionState, number> {
  const out = new Map<PartitionState, number>();
  if (result === undefined || result === null) return out;
  if (typeof result !== 'object' || !('batchItemFailures' in result)) return out;
  const failures = (result as { batchItemFailures: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return out;
  if (!Array.isArray(failures)) throw new InvalidBatchResponseError('batchItemFailures is not an array');
  const byKey = new Map([...taken].map(([state, items]) => [state.key, { state, items }]));
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: { partition?: unknown; offset?: unknown } } | null)
      ?.itemIdentifier;
    const group = typeof id?.partition === 'string' ? byKey.get(id.partition) : undefined;
    const offset = id?.offset;
    if (!group || typeof offset !== 'number' || !group.items.some((item) => item.ref.offset === offset)) {
      throw new InvalidBatchResponseError(
        `batchItemFailures names ${JSON.stringify(failure)}, which is not a record of this batch: the whole batch counts as failed`,
      );
    }
    const current = out.get(group.state);
    if (current === undefined || offset < current) out.set(group.state, offset);
  }
  return out;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
