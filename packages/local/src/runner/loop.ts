import { randomUUID } from 'node:crypto';
import type { Logger } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import { kafkaRecord } from '@kafka-lambda/testing';
import { cutBatch, EVENT_OVERHEAD_BYTES, triggerFor } from './batch-cutter.js';
import { batchOutcome } from './batch-outcome.js';
import { bisect } from './bisect.js';
import type { OnFailureDestination } from './destinations/destination.js';
import type { FailureCondition } from './destinations/failure-record.js';
import { DestinationWriteError, RetriesExhaustedError } from './errors.js';
import type { RecordFilter } from './filter/filter-criteria.js';
import { type EsmMetricsSettings, esmMetricDocuments } from './metrics/esm-metrics.js';
import { type Buffered, type PartitionState, partitionState } from './partition-state.js';
import { reportedOffsets } from './reported-offsets.js';
import type { DecodedMessage } from './schema/esm-record-decoder.js';
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
  /** The consumer group (`ConsumerGroupId`, or a fresh one). */
  readonly groupId: string;
  readonly batchSize: number;
  readonly batchWindowMs: number;
  readonly maxPayloadBytes: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxRetries: number;
  readonly onRetriesExhausted: RetriesExhaustedAction;
  readonly bisectBatchOnFunctionError: boolean;
  /** `MaximumRecordAgeInSeconds` in ms; `Infinity` when -1. */
  readonly maxRecordAgeMs: number;
  readonly destination: OnFailureDestination | undefined;
  /** `FilterCriteria` compiled: false for a record the function must not see. */
  readonly filter: RecordFilter | undefined;
  /** `SchemaRegistryConfig`: decodes each record's key and/or value with the registry before it is buffered. */
  readonly schemaDecoder: { decode(message: SourceMessage): Promise<DecodedMessage> } | undefined;
  /** `MetricsConfig`: the groups emitted when the runner stops. */
  readonly metrics: EsmMetricsSettings | undefined;
  /** The function's ARN as on-failure records name it. */
  readonly functionArn: string;
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
    recordsPolled: 0,
    invocations: 0,
    recordsInvoked: 0,
    recordsCommitted: 0,
    errors: 0,
    recordsFailedInvoke: 0,
    partialFailures: 0,
    retries: 0,
    skipped: 0,
    sentToDestination: 0,
    expired: 0,
    bisections: 0,
    filtered: 0,
    schemaFailures: 0,
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
  /**
   * Halves of bisected batches still to run, first to last, as records to take from the head of each
   * partition's queue: while any is pending, its partitions run only through it.
   */
  #pinned: Array<Map<PartitionState, number>> = [];
  /** Records already handed to the destination (or skipped) for their age: never invoked or sent again. */
  readonly #settled = new WeakSet<Buffered>();
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
    this.#polling = this.#pollLoop().catch((error: unknown) => {
      // A fatal error while reading (the schema registry unreachable, the consumer broken): say so.
      this.#settings.logger.error('the runner stops: records can no longer be read', {
        error: asError(error),
      });
      this.#fail(asError(error));
    });
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
      // The schema registry integration decodes as the ESM does: before batching, filtering and invoking.
      const decoder = this.#settings.schemaDecoder;
      const decoded = decoder ? await Promise.all(messages.map((m) => decoder.decode(m))) : undefined;
      if (this.#stopping || this.#failure) return;
      const now = Date.now();
      for (const [i, message] of messages.entries()) this.#buffer(message, now, decoded?.[i]);
      this.#applyBackpressure();
      this.#dispatch();
    }
  }

  #buffer(original: SourceMessage, now: number, decoded: DecodedMessage | undefined): void {
    const state = this.#partition(original.topic, original.partition);
    // A rebalance can hand back records we still hold, queued or in flight: keep one copy of each offset.
    if (original.offset <= state.highest) return;
    state.highest = original.offset;
    this.stats.recordsPolled++;
    // A record that did not decode goes to the destination as it was read.
    const message = decoded?.ok ? decoded.message : original;
    const record = kafkaRecord(
      {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        timestamp: message.timestamp,
        key: message.key ?? undefined,
        value: message.value,
        headers: message.headers as Array<[string, Buffer]>,
        ...(decoded?.ok && decoded.keySchemaMetadata ? { keySchemaMetadata: decoded.keySchemaMetadata } : {}),
        ...(decoded?.ok && decoded.valueSchemaMetadata
          ? { valueSchemaMetadata: decoded.valueSchemaMetadata }
          : {}),
      },
      { signedHeaderBytes: this.#settings.signedHeaderBytes },
    );
    const ref = { topic: message.topic, partition: message.partition, offset: message.offset };
    state.queue.push({
      ref,
      record,
      bytes: Buffer.byteLength(JSON.stringify(record)) + 1,
      arrivedAt: now,
      ...(decoded?.ok ? { decoded: decoded.fields } : {}),
      ...(decoded && !decoded.ok ? { schemaFailure: decoded.failure } : {}),
    });
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
    this.#dispatchPinned();
    while (this.#inFlight.size < this.#settings.concurrency) {
      const now = Date.now();
      const eligible = [...this.#partitions.values()].filter(
        (state) =>
          !state.inFlight &&
          !state.revoked &&
          state.queue.length > 0 &&
          state.retryAt <= now &&
          !this.#pinned.some((half) => half.has(state)),
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

  /** The next half of a bisected batch, exactly as split, once its partitions are free. */
  #dispatchPinned(): void {
    const half = this.#pinned[0];
    if (!half || this.#inFlight.size >= this.#settings.concurrency) return;
    const now = Date.now();
    for (const state of half.keys()) if (state.inFlight || state.revoked || state.retryAt > now) return;
    const taken = new Map<PartitionState, Buffered[]>();
    let bytes = EVENT_OVERHEAD_BYTES;
    for (const [state, count] of half) {
      const items = state.queue.slice(0, count);
      if (items.length === 0) continue;
      taken.set(state, items);
      for (const item of items) bytes += item.bytes;
    }
    if (taken.size === 0) {
      this.#pinned.shift();
      return;
    }
    this.#launch(taken, 'retry', bytes, true);
  }

  #startBatch(eligible: PartitionState[], trigger: BatchTrigger): void {
    const { taken, bytes, capped, oversized } = cutBatch(eligible, this.#settings);
    if (oversized) {
      this.#settings.logger.warn('a single record exceeds the payload cap; sending it alone', {
        ...oversized.ref,
      });
    }
    const finalTrigger = capped && trigger !== 'retry' ? 'payload' : trigger;
    this.#launch(taken, finalTrigger, bytes, false);
  }

  #launch(
    taken: Map<PartitionState, Buffered[]>,
    trigger: BatchTrigger,
    bytes: number,
    pinned: boolean,
  ): void {
    for (const [state, items] of taken) {
      state.queue = state.queue.slice(items.length);
      state.inFlight = true;
      state.inFlightUpTo = items[items.length - 1]!.ref.offset;
    }
    const run = this.#invoke(taken, trigger, bytes, pinned).catch((error: unknown) =>
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
    pinned: boolean,
  ): Promise<void> {
    const { logger } = this.#settings;
    // MaximumRecordAgeInSeconds: a record too old is never sent to the function, first time or retry.
    const expired = this.#expired(taken);
    if (expired.size > 0) {
      this.stats.expired += count(expired);
      const attempts = Math.max(...[...expired.keys()].map((state) => state.attempts));
      const written = await this.#giveUp(expired, 'RecordAgeExceeded', undefined, attempts);
      if (!written) return this.#release(taken);
    }
    // Records the schema registry integration could not decode: to the destination, never invoked.
    for (const [condition, failed] of this.#schemaFailures(taken)) {
      this.stats.schemaFailures += count(failed);
      const written = await this.#giveUp(failed, condition, undefined, 0);
      if (!written) return this.#release(taken);
    }
    this.#filter(taken);
    const invoked = new Map<PartitionState, Buffered[]>();
    for (const [state, items] of taken) {
      const live = items.filter((item) => !this.#settled.has(item));
      if (live.length > 0) invoked.set(state, live);
    }
    if (invoked.size === 0) {
      // Nothing left to invoke: what was taken is settled, committed without an invocation.
      const commits = [...taken].map(([state, items]) => ({
        topic: state.topic,
        partition: state.partition,
        offset: items[items.length - 1]!.ref.offset + 1,
      }));
      await this.#commit(commits, taken);
      // The head moved past the records retried so far: the next failure counts from zero.
      for (const state of taken.keys()) state.attempts = 0;
      if (pinned) this.#pinned.shift();
      this.#release(taken);
      this.#waiters.notify();
      return;
    }

    const invocation = ++this.stats.invocations;
    const records: Record<string, KafkaEventRecord[]> = {};
    const refs: RecordRef[] = [];
    for (const [state, items] of invoked) {
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
        for (const [state, offset] of reportedOffsets(result, invoked)) resumeAt.set(state, offset);
      } catch (invalid) {
        error = asError(invalid);
      }
    }
    this.stats.recordsFailedInvoke += error
      ? refs.length
      : [...resumeAt].reduce(
          (n, [state, offset]) =>
            n + (invoked.get(state) ?? []).filter((item) => item.ref.offset >= offset).length,
          0,
        );
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

    let commits: RecordRef[] = [];
    let retried: RecordRef[] = [];
    let exhausted: RetriesExhaustedError | undefined;
    if (error && this.#settings.bisectBatchOnFunctionError && refs.length > 1) {
      retried = this.#bisect(taken, pinned, invocation);
    } else {
      const applied = this.#apply(taken, resumeAt, error);
      ({ commits, retried, exhausted } = applied);
      this.stats.skipped += applied.skipped.length;
      if (applied.toDestination.size > 0) {
        const written = await this.#giveUp(
          applied.toDestination,
          'RetriesExhausted',
          error,
          applied.destinationAttempts,
        );
        if (!written) return this.#release(taken);
        for (const state of applied.toDestination.keys()) state.attempts = 0;
      }
      if (pinned) {
        // A half that succeeded or was given up on is done; one that reported failures ends bisection.
        if (!error && resumeAt.size > 0) this.#pinned = [];
        else if (retried.length === 0) this.#pinned.shift();
      }
    }
    const committed = await this.#commit(commits, taken);
    this.#release(taken);

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

  /** The batch's partitions are free again (their outcome applied). */
  #release(taken: Map<PartitionState, Buffered[]>): void {
    for (const state of taken.keys()) {
      state.inFlight = false;
      // Revoked while in flight and not assigned back: whoever owns it now reads from the committed offset.
      if (state.revoked && this.#partitions.get(state.key) === state) this.#partitions.delete(state.key);
    }
  }

  /** FilterCriteria: records no filter matches are settled, committed with the batch, never invoked. */
  #filter(taken: Map<PartitionState, Buffered[]>): void {
    const { filter } = this.#settings;
    if (!filter) return;
    for (const items of taken.values()) {
      for (const item of items) {
        if (this.#settled.has(item) || filter(item.record, item.decoded)) continue;
        this.#settled.add(item);
        this.stats.filtered++;
      }
    }
  }

  /** Records of the batch the schema registry integration could not decode, not settled yet, by condition. */
  #schemaFailures(
    taken: Map<PartitionState, Buffered[]>,
  ): Map<FailureCondition, Map<PartitionState, Buffered[]>> {
    const byCondition = new Map<FailureCondition, Map<PartitionState, Buffered[]>>();
    for (const [state, items] of taken) {
      if (state.revoked) continue;
      for (const item of items) {
        if (!item.schemaFailure || this.#settled.has(item)) continue;
        const { condition } = item.schemaFailure;
        const failed = byCondition.get(condition) ?? new Map<PartitionState, Buffered[]>();
        failed.set(state, [...(failed.get(state) ?? []), item]);
        byCondition.set(condition, failed);
      }
    }
    return byCondition;
  }

  /** Records of the batch past `maxRecordAgeMs`, not settled yet. */
  #expired(taken: Map<PartitionState, Buffered[]>): Map<PartitionState, Buffered[]> {
    const expired = new Map<PartitionState, Buffered[]>();
    if (!Number.isFinite(this.#settings.maxRecordAgeMs)) return expired;
    const oldest = Date.now() - this.#settings.maxRecordAgeMs;
    for (const [state, items] of taken) {
      if (state.revoked) continue;
      const old = items.filter((item) => !this.#settled.has(item) && item.record.timestamp < oldest);
      if (old.length > 0) expired.set(state, old);
    }
    return expired;
  }

  /**
   * Splits a batch the function threw on in two; both halves go back to the head of their queues and
   * run first to last before anything else of their partitions. No retry is counted (AWS: "splitting
   * batches doesn't consume the retry quota"); a record alone that fails is retried as usual.
   */
  #bisect(taken: Map<PartitionState, Buffered[]>, pinned: boolean, invocation: number): RecordRef[] {
    const [first, second] = bisect(taken);
    if (pinned) this.#pinned.shift();
    this.#pinned.unshift(first, second);
    const retried: RecordRef[] = [];
    const retryAt = Date.now() + this.#settings.retryBackoffMs;
    for (const [state, items] of taken) {
      if (state.revoked) continue;
      state.queue = [...items, ...state.queue];
      state.retryAt = retryAt;
      for (const item of items) retried.push(item.ref);
    }
    this.stats.bisections++;
    this.stats.retries++;
    this.#settings.logger.warn('invocation failed; bisecting its batch (BisectBatchOnFunctionError)', {
      invocation,
      halves: [first, second].map((half) =>
        Object.fromEntries([...half].map(([state, records]) => [state.key, records])),
      ),
    });
    return retried;
  }

  /**
   * Hands records to the on-failure destination and marks them settled; without a destination (records
   * too old) skips them, logged at error level. False when the destination could not be written: the
   * runner then stops with the records uncommitted.
   */
  async #giveUp(
    failed: Map<PartitionState, Buffered[]>,
    condition: FailureCondition,
    error: Error | undefined,
    attempts: number,
  ): Promise<boolean> {
    const { destination, logger } = this.#settings;
    const live = new Map<PartitionState, Buffered[]>();
    for (const [state, items] of failed) {
      const left = items.filter((item) => !this.#settled.has(item));
      if (left.length > 0) live.set(state, left);
    }
    const refs = [...live.values()].flat().map((item) => item.ref);
    if (refs.length === 0) return true;
    if (!destination) {
      // AWS drops them without a destination; locally they are skipped loudly.
      const schemaFailure = [...live.values()].flat().find((item) => item.schemaFailure)?.schemaFailure;
      const cause =
        condition === 'RecordAgeExceeded'
          ? new Error(
              `records older than MaximumRecordAgeInSeconds (${this.#settings.maxRecordAgeMs / 1000} s)`,
            )
          : new Error(`${condition}: ${schemaFailure?.error.message ?? 'not decoded'}`, {
              cause: schemaFailure?.error,
            });
      logger.error(
        `${condition === 'RecordAgeExceeded' ? 'RECORD AGE EXCEEDED' : condition}: skipping records (no on-failure destination)`,
        {
          records: refs.length,
          first: refs[0],
          ...(schemaFailure ? { part: schemaFailure.part, error: schemaFailure.error } : {}),
        },
      );
      this.stats.skipped += refs.length;
      this.#settings.onSkip?.(refs, cause);
      for (const items of live.values()) for (const item of items) this.#settled.add(item);
      return true;
    }
    const records: Record<string, KafkaEventRecord[]> = {};
    for (const [state, items] of live) records[state.key] = items.map((item) => item.record);
    try {
      await destination.write({
        records,
        context: {
          condition,
          requestId: randomUUID(),
          functionArn: this.#settings.functionArn,
          approximateInvokeCount: attempts,
          functionError: error ? 'Unhandled' : undefined,
          invoked: attempts > 0,
          failedAt: new Date(),
          eventSource: this.#settings.eventSource,
          eventSourceArn: this.#settings.eventSourceArn,
          bootstrapServers: this.#settings.bootstrapServers,
        },
      });
    } catch (writeError) {
      const failure = new DestinationWriteError(destination.uri, refs, asError(writeError));
      logger.error('ON-FAILURE DESTINATION NOT WRITTEN: stopping the runner; the records stay uncommitted', {
        error: failure,
      });
      this.#fail(failure);
      return false;
    }
    for (const items of live.values()) for (const item of items) this.#settled.add(item);
    this.stats.sentToDestination += refs.length;
    logger.warn(`records sent to the on-failure destination ${destination.uri}`, {
      condition,
      records: refs.length,
      first: refs[0],
    });
    return true;
  }

  /** Applies each partition's outcome to its state: what to commit, retry, skip or send on; whether retries ran out. */
  #apply(
    taken: Map<PartitionState, Buffered[]>,
    resumeAt: ReadonlyMap<PartitionState, number>,
    error: Error | undefined,
  ) {
    const commits: RecordRef[] = [];
    const retried: RecordRef[] = [];
    const skipped: RecordRef[] = [];
    const toDestination = new Map<PartitionState, Buffered[]>();
    let destinationAttempts = 0;
    let exhausted: RetriesExhaustedError | undefined;
    const limits = {
      maxRetries: this.#settings.maxRetries,
      onRetriesExhausted: this.#settings.destination
        ? ('destination' as const)
        : this.#settings.onRetriesExhausted,
    };
    for (const outcome of batchOutcome(taken, resumeAt, limits)) {
      const { state, failed, action } = outcome;
      // Taken away while in flight: the next owner starts from the committed offset, we keep nothing.
      if (state.revoked) continue;
      const failedRefs = failed.map((item) => item.ref);
      if (action === 'destination') {
        toDestination.set(state, [...failed]);
        destinationAttempts = Math.max(destinationAttempts, outcome.attemptsMade);
      } else if (action === 'skip') {
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
        exhausted ??= new RetriesExhaustedError(failedRefs, outcome.attempts, cause);
        state.queue = [...failed, ...state.queue];
      } else if (action === 'retry') {
        state.queue = [...failed, ...state.queue];
        state.retryAt = Date.now() + this.#backoff(outcome.attempts);
        this.stats.retries++;
        retried.push(...failedRefs);
      }
      // A partition sent to the destination keeps its count until written (a failed write stops the runner).
      if (action !== 'destination') state.attempts = outcome.attempts;
      if (outcome.commitAt !== undefined) {
        commits.push({ topic: state.topic, partition: state.partition, offset: outcome.commitAt });
      }
    }
    return { commits, retried, skipped, exhausted, toDestination, destinationAttempts };
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
    // Halves of a bisected batch count offsets from the queues' heads: a rebalance voids them.
    if (partitions.length > 0) this.#pinned = [];
  }

  /** `MetricsConfig`: the groups asked for, once, before the consumer leaves (the lag needs it). */
  async #emitMetrics(): Promise<void> {
    const { metrics, logger } = this.#settings;
    if (!metrics) return;
    let lag: Awaited<ReturnType<NonNullable<RecordSource['offsetLag']>>> | undefined;
    if (metrics.groups.has('KafkaMetrics') && this.#source.offsetLag) {
      try {
        lag = await this.#source.offsetLag();
      } catch (lagError) {
        logger.warn('OffsetLag not emitted: the lag could not be read', { error: asError(lagError) });
      }
    }
    for (const document of esmMetricDocuments(metrics, this.stats, lag, Date.now())) {
      try {
        metrics.emit(document);
      } catch (emitError) {
        logger.warn('onMetrics threw', { error: asError(emitError) });
      }
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
      await this.#emitMetrics();
      await this.#source
        .close()
        .catch((error: unknown) => logger.warn('consumer close failed', { error: asError(error) }));
      await this.#invoker
        .close()
        .catch((error: unknown) => logger.warn('invoker close failed', { error: asError(error) }));
      await this.#settings.destination
        ?.close()
        .catch((error: unknown) =>
          logger.warn('on-failure destination close failed', { error: asError(error) }),
        );
      this.#waiters.rejectAll(
        this.#failure ?? new Error('waitFor: the runner stopped before the condition held'),
      );
    })();
    return this.#shutdown;
  }
}

function count(taken: ReadonlyMap<PartitionState, readonly Buffered[]>): number {
  let n = 0;
  for (const items of taken.values()) n += items.length;
  return n;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
