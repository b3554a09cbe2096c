import type { KafkaEvent, KafkaEventRecord, Logger } from '@kafka-lambda/core';
import { kafkaRecord } from '../events.js';
import { cutBatch, triggerFor } from './batch-cutter.js';
import { batchOutcome } from './batch-outcome.js';
import { RetriesExhaustedError } from './errors.js';
import { type Buffered, type PartitionState, partitionState } from './partition-state.js';
import { reportedOffsets } from './reported-offsets.js';
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
import { Waiters } from './waiters.js';

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
  readonly #waiters: Waiters;
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
    this.#waiters = new Waiters(this.stats, this.batches);
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
    return this.#waiters.add(predicate, timeoutMs);
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
    // A rebalance can hand back records we still hold, queued or in flight: keep one copy of each offset.
    if (message.offset <= state.highest) return;
    state.highest = message.offset;
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
      state = partitionState(topic, partition);
      this.#partitions.set(key, state);
    }
    // Assigned again while its batch was in flight: the batch's outcome counts again.
    state.revoked = false;
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
    while (this.#inFlight.size < this.#settings.concurrency) {
      const now = Date.now();
      const eligible = [...this.#partitions.values()].filter(
        (state) => !state.inFlight && !state.revoked && state.queue.length > 0 && state.retryAt <= now,
      );
      if (eligible.length === 0) break;
      const judged = triggerFor(eligible, this.#settings, now);
      if (!judged.trigger) {
        this.#armTimer(judged.windowClosesAt);
        break;
      }
      this.#startBatch(eligible, judged.trigger);
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
    const { taken, bytes, capped, oversized } = cutBatch(eligible, this.#settings);
    if (oversized) {
      this.#settings.logger.warn('a single record exceeds the payload cap; sending it alone', {
        ...oversized.ref,
      });
    }
    for (const [state, items] of taken) {
      state.queue = state.queue.slice(items.length);
      state.inFlight = true;
      state.inFlightUpTo = items[items.length - 1]!.ref.offset;
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

    const { commits, retried, skipped, exhausted } = this.#apply(taken, resumeAt, error);
    const committed = await this.#commit(commits, taken);
    this.stats.skipped += skipped.length;
    for (const state of taken.keys()) {
      state.inFlight = false;
      // Revoked while in flight and not assigned back: whoever owns it now reads from the committed offset.
      if (state.revoked && this.#partitions.get(state.key) === state) this.#partitions.delete(state.key);
    }

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
        { records: exhausted.records.length, first: exhausted.records[0], error: exhausted },
      );
      this.#fail(exhausted);
    }
    this.#waiters.notify();
  }

  /** Applies each partition's outcome to its state: what to commit, retry, skip; whether retries ran out. */
  #apply(
    taken: Map<PartitionState, Buffered[]>,
    resumeAt: ReadonlyMap<PartitionState, number>,
    error: Error | undefined,
  ) {
    const commits: RecordRef[] = [];
    const retried: RecordRef[] = [];
    const skipped: RecordRef[] = [];
    let exhausted: RetriesExhaustedError | undefined;
    for (const outcome of batchOutcome(taken, resumeAt, this.#settings)) {
      const { state, failed, action } = outcome;
      // Taken away while in flight: the next owner starts from the committed offset, we keep nothing.
      if (state.revoked) continue;
      state.attempts = outcome.attempts;
      const failedRefs = failed.map((item) => item.ref);
      if (action === 'skip') {
        const cause =
          error ?? new Error(`the handler reported ${state.key}@${resumeAt.get(state)} as failed`);
        this.#settings.logger.error('RETRIES EXHAUSTED: skipping records (onRetriesExhausted: skip)', {
          partition: state.key,
          fromOffset: failedRefs[0]!.offset,
          toOffset: failedRefs[failedRefs.length - 1]!.offset,
          attempts: outcome.attemptsMade,
          error: cause,
        });
        skipped.push(...failedRefs);
        this.#settings.onSkip?.(failedRefs, cause);
      } else if (action === 'exhausted') {
        const cause =
          error ?? new Error(`the handler reported ${state.key}@${resumeAt.get(state)} as failed`);
        exhausted ??= new RetriesExhaustedError(failedRefs, state.attempts, cause);
        state.queue = [...failed, ...state.queue];
      } else if (action === 'retry') {
        state.queue = [...failed, ...state.queue];
        state.retryAt = Date.now() + this.#backoff(state.attempts);
        this.stats.retries++;
        retried.push(...failedRefs);
      }
      if (outcome.commitAt !== undefined) {
        commits.push({ topic: state.topic, partition: state.partition, offset: outcome.commitAt });
      }
    }
    return { commits, retried, skipped, exhausted };
  }

  /** Commits next-to-read offsets; counts the records they cover. Returns what was committed, per partition. */
  async #commit(
    commits: readonly RecordRef[],
    taken: Map<PartitionState, Buffered[]>,
  ): Promise<Record<string, number>> {
    const committed: Record<string, number> = {};
    if (commits.length === 0) return committed;
    try {
      await this.#source.commit(commits);
    } catch (commitError) {
      // Processed but not committed: redelivered after a restart (at-least-once), never lost.
      this.#settings.logger.error('offset commit failed', { error: asError(commitError), offsets: commits });
      return committed;
    }
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
    return committed;
  }

  #backoff(attempts: number): number {
    const { retryBackoffMs, maxBackoffMs } = this.#settings;
    return Math.min(maxBackoffMs, retryBackoffMs * 2 ** Math.max(0, attempts - 1));
  }

  #revoke(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    // Whoever gets these partitions next reads them from the committed offset.
    for (const { topic, partition } of partitions) {
      const key = `${topic}-${partition}`;
      const state = this.#partitions.get(key);
      if (!state) continue;
      if (!state.inFlight) {
        this.#partitions.delete(key);
        continue;
      }
      // Its batch is still running: keep the state so that, if the partition comes back to us, the
      // consumer's re-delivery of the records in flight is not buffered and invoked a second time.
      state.revoked = true;
      state.queue = [];
      state.highest = state.inFlightUpTo;
    }
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#waiters.rejectAll(error);
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
      this.#waiters.rejectAll(
        this.#failure ?? new Error('waitFor: the runner stopped before the condition held'),
      );
    })();
    return this.#shutdown;
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
