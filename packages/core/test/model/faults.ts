// Faults, replayed from the recorded shapes of the real client and stores, and the producers that
// replay them: a librdkafka-like one (reports arrive by themselves, a record batch refused whole when
// one value is over the topic's max.message.bytes, a queue that can be full) and @kafka-lambda/testing's
// memoryProducer (reports at flush). Both log every message with its fate, for the oracle.
import type { KafkaProducer, Logger } from '@kafka-lambda/core';
import type { DeliveryCallback, OutgoingMessage, ProducerTransactions } from '@kafka-lambda/core/producer';
import {
  type DeliveryEngine,
  deliveryEngine,
  kafkaProducer,
  ProducerQueueFullError,
  TransactionError,
} from '@kafka-lambda/core/producer';
import { type MemoryProducer, memoryProducer } from '@kafka-lambda/testing';
import {
  dynamoDbThrottlingError,
  type MemoryIdempotencyStore,
  memoryIdempotencyStore,
  redisConnectionError,
} from '@kafka-lambda/testing/idempotency';
import fc from 'fast-check';
import { deliveryError } from '../../src/producer/client-errors.js';
import type { NativeError } from '../../src/producer/native-client.js';
import { transactionError } from '../../src/producer/transaction-errors.js';
import {
  behaviour,
  firstRecordedError,
  RecordedProducer,
  recorded,
  recordedError,
} from '../recorded-client.js';
import type { FaultSpec } from './scenario.js';
import { DEAD_LETTER_TOPIC, OUTPUT_ID_HEADER, OUTPUT_TOPIC, OUTPUT_TOPIC_MAX_BYTES } from './user-code.js';

export interface FaultLimits {
  /** Store faults at claim and complete. */
  readonly store: boolean;
  readonly environment: boolean;
  readonly transactions: boolean;
}

export function faultsArb(limits: FaultLimits): fc.Arbitrary<FaultSpec> {
  const rare = <T>(usual: T, ...others: T[]) =>
    fc.oneof(
      { withCrossShrink: true },
      { weight: 12, arbitrary: fc.constant(usual) },
      { weight: 1, arbitrary: fc.constantFrom(...others) },
    );
  return fc.record({
    claim: limits.store ? rare<FaultSpec['claim']>('ok', 'fail', 'stall') : fc.constant('ok' as const),
    complete: limits.store ? rare<FaultSpec['complete']>('ok', 'fail') : fc.constant('ok' as const),
    deadLetters: rare<FaultSpec['deadLetters']>('ok', 'transient'),
    queueFullMs: fc.oneof(
      { withCrossShrink: true },
      { weight: 10, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_000 }) },
    ),
    commit: rare<FaultSpec['commit']>('ok', 'retriable', 'fatal'),
    environment: limits.environment
      ? rare<FaultSpec['environment']>('ok', 'broken')
      : fc.constant('ok' as const),
    connect: fc.oneof(
      { withCrossShrink: true },
      { weight: 20, arbitrary: fc.constant('ok' as const) },
      { weight: 1, arbitrary: fc.constantFrom('all-brokers-down' as const, 'auth-refused' as const) },
    ),
    brokerLatencyMs: fc.oneof(
      { withCrossShrink: true },
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: 200, max: 5_000 }) },
    ),
    storeLatencyMs: fc.oneof(
      { withCrossShrink: true },
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 300 }) },
      { weight: 1, arbitrary: fc.integer({ min: 300, max: 3_000 }) },
    ),
    begin: limits.transactions ? rare<FaultSpec['begin']>('ok', 'fails') : fc.constant('ok' as const),
    abort: limits.transactions ? rare<FaultSpec['abort']>('ok', 'fails') : fc.constant('ok' as const),
  });
}

/** Where a message stands as the oracle sees it. */
export type Fate = 'in-flight' | 'delivered' | 'failed' | 'held';

export interface LoggedMessage {
  readonly message: OutgoingMessage;
  /** The invocation during which the batch handed it over. */
  readonly invocation: number;
  /** The output id (`model-output` header), or undefined for a dead letter. */
  readonly outputId: string | undefined;
  /** For a dead letter: the source record's location from its `kafka-lambda.dlq.source.*` headers. */
  readonly deadLetterOf: string | undefined;
  fate: Fate;
  /**
   * Its report came while the invocation that sent it was still waiting for it: in flight, and before
   * the batch closed its delivery wait (the signal it enqueued the message with aborts then).
   */
  reportedInFlight: boolean;
  /** The batch's signal the message was enqueued with. */
  signal?: AbortSignal | undefined;
  error: Error | undefined;
  /** With transactions: the transaction it went in. */
  readonly transaction: number | undefined;
}

/** The recorded errors the broker answers with, as the real producer hands them to the batch. */
const RECORDED = {
  refused: () => recordedError('invalid-topic', 'delivery-report', firstIndex('invalid-topic')),
  unauthorized: () =>
    recordedError('topic-authorization', 'delivery-report', firstIndex('topic-authorization')),
  timedOut: () => recordedError('unknown-topic', 'delivery-report', firstIndex('unknown-topic')),
  tooLarge: () => recordedError('too-large-broker', 'delivery-report', firstIndex('too-large-broker')),
  /** librdkafka's produce() throws for a message over message.max.bytes. */
  tooLargeLocal: () => firstRecordedError('too-large-local', 'produce.throw'),
  outsideTransaction: () => firstRecordedError('txn-produce-outside', 'produce.throw'),
};

/** The first delivery report of a recorded scenario that carries an error. */
function firstIndex(scenario: string): number {
  return Math.max(
    0,
    recorded(scenario, 'delivery-report').findIndex((e) => e.error),
  );
}

/** What librdkafka counts against message.max.bytes: key, value and headers. */
function sizeOf(message: OutgoingMessage): number {
  let size = (message.key?.length ?? 0) + (message.value?.length ?? 0);
  for (const [name, value] of message.headers ?? []) size += Buffer.byteLength(name) + value.length;
  return size;
}

const MAX_MESSAGE_BYTES = 1_000_000;

function headerText(message: OutgoingMessage, name: string): string | undefined {
  const found = message.headers?.find(([n]) => n === name);
  return found ? found[1].toString('utf8') : undefined;
}

function deadLetterSource(message: OutgoingMessage): string | undefined {
  if (message.topic !== DEAD_LETTER_TOPIC) return undefined;
  const topic = headerText(message, 'kafka-lambda.dlq.source.topic');
  const partition = headerText(message, 'kafka-lambda.dlq.source.partition');
  const offset = headerText(message, 'kafka-lambda.dlq.source.offset');
  return `${topic}-${partition}@${offset}`;
}

/** The error the broker answers a message with, by its topic (undefined: delivered; 'hold': never answers). */
function answerFor(
  message: OutgoingMessage,
  faults: FaultSpec,
  alternate: boolean,
  healed = false,
): Error | 'hold' | undefined {
  switch (message.topic) {
    case OUTPUT_TOPIC.refused:
      return deliveryError(message.topic, alternate ? RECORDED.unauthorized() : RECORDED.refused());
    case OUTPUT_TOPIC.transient:
      // Refused for now (the topic did not exist yet): healed, it is there.
      return healed ? undefined : deliveryError(message.topic, RECORDED.timedOut());
    case OUTPUT_TOPIC.held:
      // A broker that never answered: healed, it answers again.
      return healed ? undefined : 'hold';
    case DEAD_LETTER_TOPIC:
      return faults.deadLetters === 'transient'
        ? deliveryError(message.topic, RECORDED.timedOut())
        : undefined;
    default:
      return undefined;
  }
}

/** What the model's producers share: the message log and the knobs the runner turns. */
export interface ModelProducer {
  readonly producer: KafkaProducer;
  readonly log: LoggedMessage[];
  /** The invocation now in flight (messages are attributed to it). */
  invocation: number;
  /** False while an invocation is in flight (set by the runner). */
  settled: boolean;
  /** With transactions: the state of the transaction the message went in. */
  transactionStateOf(entry: LoggedMessage): 'open' | 'committed' | 'aborted' | undefined;
  /** Faults apply to the first invocation only; a replay runs healthy. */
  heal(): void;
}

/**
 * Like librdkafka as the SDK's producer presents it (see test/support/scripted-producer.ts): reports
 * come by themselves on a later turn; messages of one topic handed over in the same turn travel as
 * one record batch, refused whole (code 10, permanent) when one value is over the topic's
 * max.message.bytes; a full queue holds messages in a backlog (`backlog`, `whenWritable`), settled
 * with ProducerQueueFullError when their batch's signal aborts.
 */
export class LibrdkafkaLikeProducer implements KafkaProducer, ModelProducer {
  readonly deliveryEngine: DeliveryEngine = deliveryEngine;
  readonly log: LoggedMessage[] = [];
  readonly transactionStates = new Map<number, 'open' | 'committed' | 'aborted'>();
  invocation = 0;
  settled = true;
  readonly maxMessageBytes = MAX_MESSAGE_BYTES;
  transactions: ProducerTransactions | undefined;
  #faults: FaultSpec;
  #bursts = new Map<string, Array<{ entry: LoggedMessage; done: DeliveryCallback }>>();
  #backlog: Array<{
    entry: LoggedMessage;
    done: DeliveryCallback;
    signal: AbortSignal | undefined;
    alone: boolean;
  }> = [];
  /** A message sent alone (enqueueAlone) whose record batch is not answered yet: nothing joins it. */
  #aloneInFlight: LoggedMessage | undefined;
  #queueFullUntil: number;
  #currentTransaction: number | undefined;
  #refusedInTransaction = false;
  #failNextCommit: 'retriable' | 'fatal' | undefined;
  #failBegin: boolean;
  #failAbort: boolean;
  #alternate = false;
  #healed = false;
  readonly #heldCallbacks = new Map<LoggedMessage, DeliveryCallback>();

  constructor(faults: FaultSpec, transactional: boolean) {
    this.#faults = faults;
    this.#queueFullUntil = faults.queueFullMs > 0 ? Date.now() + faults.queueFullMs : 0;
    if (faults.queueFullMs > 0) setTimeout(() => this.#drain(), faults.queueFullMs);
    this.#failNextCommit = faults.commit === 'ok' ? undefined : faults.commit;
    this.#failBegin = faults.begin === 'fails';
    this.#failAbort = faults.abort === 'fails';
    if (transactional) this.transactions = this.#transactions();
  }

  get producer(): KafkaProducer {
    return this;
  }

  transactionStateOf(entry: LoggedMessage): 'open' | 'committed' | 'aborted' | undefined {
    return entry.transaction === undefined ? undefined : this.transactionStates.get(entry.transaction);
  }

  heal(): void {
    this.#faults = { ...this.#faults, deadLetters: 'ok', queueFullMs: 0, commit: 'ok' };
    this.#healed = true;
    this.#failNextCommit = undefined;
    this.#failBegin = false;
    this.#failAbort = false;
    this.#queueFullUntil = 0;
    this.#drain();
    // What the broker never answered is answered now, late, with a timeout: during the next
    // invocation, which must neither fail nor wait for it (a batch is judged by its own messages).
    const leftovers = this.log.filter((e) => e.fate === 'held');
    setTimeout(() => {
      for (const entry of leftovers) {
        const done = this.#heldCallbacks.get(entry);
        if (done) this.#settle(entry, done, deliveryError(entry.message.topic, RECORDED.timedOut()));
      }
    }, 1);
  }

  get backlog(): number {
    return this.#backlog.length;
  }

  whenWritable(signal: AbortSignal): Promise<void> {
    if (this.#backlog.length === 0) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, this.#queueFullUntil - Date.now()),
      );
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  enqueue(message: OutgoingMessage, done: DeliveryCallback, signal?: AbortSignal): void {
    this.#enqueue(message, done, signal, false);
  }

  /** As the SDK's producer does: after every burst in flight is answered, in a burst of its own. */
  enqueueAlone(message: OutgoingMessage, done: DeliveryCallback, signal?: AbortSignal): void {
    this.#enqueue(message, done, signal, true);
  }

  #enqueue(
    message: OutgoingMessage,
    done: DeliveryCallback,
    signal: AbortSignal | undefined,
    alone: boolean,
  ): void {
    const entry: LoggedMessage = {
      message,
      invocation: this.invocation,
      outputId: headerText(message, OUTPUT_ID_HEADER),
      deadLetterOf: deadLetterSource(message),
      fate: 'in-flight',
      reportedInFlight: false,
      signal,
      error: undefined,
      transaction: this.#currentTransaction,
    };
    this.log.push(entry);
    if (signal?.aborted) {
      this.#settle(entry, done, asError(signal.reason));
      return;
    }
    if (this.transactions && this.#currentTransaction === undefined) {
      // Recorded (txn-produce-outside): the client refuses a message outside a transaction.
      this.#settle(entry, done, deliveryError(message.topic, RECORDED.outsideTransaction()));
      return;
    }
    if (sizeOf(message) > MAX_MESSAGE_BYTES) {
      // The client throws at produce(); the producer settles the message with it at once.
      this.#settle(entry, done, deliveryError(message.topic, RECORDED.tooLargeLocal()));
      return;
    }
    if (Date.now() < this.#queueFullUntil || this.#backlog.length > 0 || alone || this.#holding()) {
      // librdkafka's queue is full (recorded queue-full, -184), or a message goes alone: the producer holds it.
      this.#backlog.push({ entry, done, signal, alone });
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.#backlog.findIndex((held) => held.entry === entry);
          if (at < 0) return;
          this.#backlog.splice(at, 1);
          this.#settle(
            entry,
            done,
            new ProducerQueueFullError("librdkafka's queue stayed full until the batch ended (model)"),
          );
          this.#drain();
        },
        { once: true },
      );
      if (alone) this.#drain();
      return;
    }
    this.#handOver(entry, done, false);
  }

  #drain(): void {
    if (Date.now() < this.#queueFullUntil) return;
    while (this.#backlog.length > 0 && !this.#holding()) {
      // Alone: once every burst in flight to its topic is answered (#sendBurst drains again).
      const next = this.#backlog[0]!;
      if (next.alone && this.#bursts.has(next.entry.message.topic)) return;
      const held = this.#backlog.shift()!;
      this.#handOver(held.entry, held.done, held.alone);
    }
  }

  /** A message sent alone is in flight (until its batch gives up on it): nothing joins its burst. */
  #holding(): boolean {
    if (this.#aloneInFlight?.signal?.aborted) this.#aloneInFlight = undefined;
    return this.#aloneInFlight !== undefined;
  }

  #handOver(entry: LoggedMessage, done: DeliveryCallback, alone: boolean): void {
    const answer = answerFor(entry.message, this.#faults, (this.#alternate = !this.#alternate), this.#healed);
    if (answer === 'hold') {
      entry.fate = 'held';
      this.#heldCallbacks.set(entry, done);
      return;
    }
    if (alone) {
      this.#aloneInFlight = entry;
      entry.signal?.addEventListener('abort', () => this.#drain(), { once: true });
    }
    const topic = entry.message.topic;
    let burst = this.#bursts.get(topic);
    if (!burst) {
      burst = [];
      this.#bursts.set(topic, burst);
      const latency = this.#faults.brokerLatencyMs;
      if (latency > 0) setTimeout(() => this.#sendBurst(topic), latency);
      else setImmediate(() => this.#sendBurst(topic));
    }
    burst.push({ entry, done });
  }

  #sendBurst(topic: string): void {
    const burst = this.#bursts.get(topic) ?? [];
    this.#bursts.delete(topic);
    const limited = topic !== DEAD_LETTER_TOPIC;
    const tooLarge =
      limited && burst.some(({ entry }) => (entry.message.value?.length ?? 0) > OUTPUT_TOPIC_MAX_BYTES);
    for (const { entry, done } of burst) {
      if (tooLarge) {
        this.#settle(entry, done, deliveryError(topic, RECORDED.tooLarge()));
        continue;
      }
      const answer = answerFor(entry.message, this.#faults, this.#alternate, this.#healed);
      this.#settle(entry, done, answer === 'hold' ? undefined : answer);
    }
    if (burst.some(({ entry }) => entry === this.#aloneInFlight)) this.#aloneInFlight = undefined;
    if (this.#backlog.length > 0) this.#drain();
  }

  #settle(entry: LoggedMessage, done: DeliveryCallback, error: Error | undefined): void {
    entry.fate = error ? 'failed' : 'delivered';
    entry.reportedInFlight = !this.settled && entry.invocation === this.invocation && !entry.signal?.aborted;
    entry.error = error;
    if (error && entry.transaction !== undefined && entry.transaction === this.#currentTransaction)
      this.#refusedInTransaction = true;
    done(
      error,
      error ? undefined : { topic: entry.message.topic, partition: 0, offset: this.log.indexOf(entry) },
      entry.message,
    );
  }

  send(message: OutgoingMessage) {
    return new Promise<{ topic: string; partition: number; offset: number }>((resolve, reject) =>
      this.enqueue(message, (error, report) => (error ? reject(error) : resolve(report!))),
    );
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  /** Transactions shaped like the real client's (recorded txn- scenarios, core's own classifier). */
  #transactions(): ProducerTransactions {
    let next = 1;
    const end = (state: 'committed' | 'aborted') => {
      const id = this.#currentTransaction;
      this.#currentTransaction = undefined;
      if (id !== undefined) this.transactionStates.set(id, state);
    };
    return {
      transactionalId: 'model-txn',
      begin: async (timeoutMs: number) => {
        // One transaction at a time per producer (as the SDK's producer takes turns): a begin while
        // another invocation's transaction is open waits for it, up to its timeout.
        const until = Date.now() + timeoutMs;
        while (this.#currentTransaction !== undefined) {
          if (Date.now() >= until)
            throw new TransactionError(
              'begin',
              'retriable',
              undefined,
              'the transaction of another invocation on the same producer did not end in time (model)',
            );
          await new Promise((resolve) => setTimeout(resolve, Math.min(5, Math.max(1, until - Date.now()))));
        }
        if (this.#failBegin) {
          this.#failBegin = false;
          throw transactionError('begin', firstRecordedError('txn-fenced', 'beginTransaction'));
        }
        const id = next++;
        this.#currentTransaction = id;
        this.#refusedInTransaction = false;
        this.transactionStates.set(id, 'open');
      },
      commit: async (timeoutMs: number) => {
        // The commit's round trip, bounded by its timeout as librdkafka's is: past it, the recorded
        // "timed out, retry call to resume" (retriable; the commit may still happen: not modelled).
        const latency = this.#faults.brokerLatencyMs;
        if (latency > 0) {
          await new Promise((resolve) => setTimeout(resolve, Math.min(latency, Math.max(1, timeoutMs))));
          if (latency > timeoutMs) {
            end('aborted');
            throw transactionError('commit', firstRecordedError('txn-commit-timeout', 'commitTransaction'));
          }
        }
        if (this.#currentTransaction === undefined)
          throw new TransactionError('commit', 'fatal', -172, 'Operation not valid in state Ready (model)');
        if (this.#refusedInTransaction) {
          end('aborted');
          throw transactionError('commit', firstRecordedError('txn-abortable', 'commitTransaction'));
        }
        const failure = this.#failNextCommit;
        this.#failNextCommit = undefined;
        if (failure) {
          end('aborted');
          const scenario = failure === 'retriable' ? 'txn-commit-timeout' : 'txn-coordinator-timeout';
          throw transactionError('commit', firstRecordedError(scenario, 'commitTransaction'));
        }
        end('committed');
      },
      abort: async () => {
        end('aborted');
        if (this.#failAbort) {
          // Recorded: an abort during a commit that timed out is refused (-173); the transaction is
          // ended by the next client's init or the coordinator: never committed.
          this.#failAbort = false;
          throw transactionError('abort', firstRecordedError('txn-commit-timeout', 'abortTransaction'));
        }
      },
    };
  }
}

/** @kafka-lambda/testing's memoryProducer, its failures ruled by the same topics, its messages logged. */
export class MemoryModelProducer implements ModelProducer {
  readonly log: LoggedMessage[] = [];
  invocation = 0;
  settled = true;
  readonly memory: MemoryProducer;
  readonly producer: KafkaProducer;
  #healed = false;

  constructor(faults: FaultSpec, transactional: boolean) {
    const memory = memoryProducer({ transactional });
    this.memory = memory;
    memory.failWhen((m) => m.topic === OUTPUT_TOPIC.refused, {
      error: deliveryError(OUTPUT_TOPIC.refused, RECORDED.refused()),
    });
    memory.failWhen((m) => m.topic === OUTPUT_TOPIC.transient && !this.#healed, {
      error: deliveryError(OUTPUT_TOPIC.transient, RECORDED.timedOut()),
    });
    memory.failWhen((m) => sizeOf(m) > MAX_MESSAGE_BYTES, {
      error: deliveryError('out', RECORDED.tooLargeLocal()),
    });
    memory.failWhen((m) => m.topic === 'out' && (m.value?.length ?? 0) > OUTPUT_TOPIC_MAX_BYTES, {
      error: deliveryError('out', RECORDED.tooLarge()),
    });
    memory.failWhen(
      (m) => m.topic === DEAD_LETTER_TOPIC && faults.deadLetters === 'transient' && !this.#healed,
      {
        error: deliveryError(DEAD_LETTER_TOPIC, RECORDED.timedOut()),
      },
    );
    // The next commit fails (not failNextCommit: that would outlive a first attempt that never commits).
    let failCommit: 'retriable' | 'fatal' | undefined = faults.commit === 'ok' ? undefined : faults.commit;
    const log = this.log;
    const model = this;
    const transactions = memory.transactions;
    let failBegin = faults.begin === 'fails';
    let heldArmedFor = -1;
    let failAbort = faults.abort === 'fails';
    this.producer = {
      transactions: transactions && {
        transactionalId: transactions.transactionalId,
        begin: async (timeoutMs) => {
          if (failBegin && !model.#healed) {
            failBegin = false;
            throw transactionError('begin', firstRecordedError('txn-fenced', 'beginTransaction'));
          }
          return transactions.begin(timeoutMs);
        },
        commit: async (timeoutMs) => {
          const kind = model.#healed ? undefined : failCommit;
          failCommit = undefined;
          if (!kind) return transactions.commit(timeoutMs);
          // As the memory producer fails a commit: its messages are not committed.
          await transactions.abort(timeoutMs);
          throw kind === 'retriable'
            ? new TransactionError(
                'commit',
                'retriable',
                -185,
                'Timed out waiting for operation to finish, retry call to resume',
              )
            : new TransactionError(
                'commit',
                'fatal',
                -144,
                'Failed to end transaction: Local: This instance has been fenced by a newer instance',
              );
        },
        abort: async (timeoutMs) => {
          await transactions.abort(timeoutMs);
          if (failAbort && !model.#healed) {
            failAbort = false;
            throw transactionError('abort', firstRecordedError('txn-commit-timeout', 'abortTransaction'));
          }
        },
      },
      send(message) {
        const entry: LoggedMessage = {
          message,
          invocation: model.invocation,
          outputId: headerText(message, OUTPUT_ID_HEADER),
          deadLetterOf: deadLetterSource(message),
          fate: 'in-flight',
          reportedInFlight: false,
          error: undefined,
          transaction: undefined,
        };
        log.push(entry);
        // A broker that never answers this message: the batch's flush times out.
        // (One flush per batch waits for its reports: arm one timeout per invocation.)
        if (message.topic === OUTPUT_TOPIC.held && !model.#healed && heldArmedFor !== model.invocation) {
          heldArmedFor = model.invocation;
          memory.timeoutNextFlush(1);
        }
        return memory.send(message).then(
          (report) => {
            entry.fate = 'delivered';
            entry.reportedInFlight = !model.settled && entry.invocation === model.invocation;
            return report;
          },
          (error: Error) => {
            entry.fate = 'failed';
            entry.error = error;
            throw error;
          },
        );
      },
      flush: (timeoutMs) => memory.flush(timeoutMs),
      close: async () => undefined,
    };
  }

  heal(): void {
    this.#healed = true;
  }

  transactionStateOf(entry: LoggedMessage): 'open' | 'committed' | 'aborted' | undefined {
    return this.memory.sent.find((m) => m.original === entry.message)?.transaction;
  }
}

/** The store the scenario's idempotency uses, with its faults armed. */
export function modelStore(faults: FaultSpec): MemoryIdempotencyStore {
  const store = memoryIdempotencyStore({ latencyMs: faults.storeLatencyMs });
  if (faults.claim === 'fail') store.fail('claim', dynamoDbThrottlingError, 1);
  if (faults.claim === 'stall') store.stall('claim');
  if (faults.complete === 'fail') {
    store.fail('complete', redisConnectionError, 1);
    store.fail('release', redisConnectionError, 1);
  }
  return store;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * The SDK's own producer (kafkaProducer: dispatcher, backlog, delivery tracker, error classifier,
 * transactions) over a native client that answers only with shapes recorded from the real client
 * (recorded-client.ts' RecordedProducer): reports come by themselves on a later turn, a topic's
 * record batch is refused whole when one value is over its limit, a full queue throws the recorded
 * queue-full, a client over message.max.bytes throws at produce(), transactional calls answer with
 * the recorded txn- outcomes.
 */
export class RealModelProducer implements ModelProducer {
  readonly log: LoggedMessage[] = [];
  invocation = 0;
  settled = true;
  readonly producer: KafkaProducer;
  readonly #states = new Map<number, 'open' | 'committed' | 'aborted'>();
  #current: number | undefined;

  constructor(faults: FaultSpec, transactional: boolean, logger: Logger) {
    behaviour.reset();
    behaviour.queueLimit = faults.queueFullMs > 0 ? 2 : Number.POSITIVE_INFINITY;
    if (faults.connect !== 'ok')
      behaviour.connect =
        faults.connect === 'all-brokers-down' ? 'all-brokers-down-at-connect' : 'auth-refused-at-connect';
    if (faults.commit !== 'ok')
      behaviour.transactions.commitTransaction =
        faults.commit === 'retriable' ? 'txn-commit-timeout' : 'txn-coordinator-timeout';
    if (faults.begin === 'fails') behaviour.transactions.beginTransaction = 'txn-fenced';
    if (faults.abort === 'fails') behaviour.transactions.abortTransaction = 'txn-commit-timeout';
    const state: { faults: FaultSpec; healed: boolean } = { faults, healed: false };
    ModelNativeClient.state = state;
    const real = kafkaProducer(
      { 'bootstrap.servers': 'model-broker:9092' },
      {
        loadClient: async () => ({ Producer: ModelNativeClient as never }),
        logger,
        // One producer per scenario, never closed: not kept alive for a SIGTERM that never comes.
        closeOnSigterm: false,
        ...(transactional ? { transactional: { idPrefix: 'model' } } : {}),
      },
    );
    const log = (message: OutgoingMessage): LoggedMessage => {
      const entry: LoggedMessage = {
        message,
        invocation: this.invocation,
        outputId: headerText(message, OUTPUT_ID_HEADER),
        deadLetterOf: deadLetterSource(message),
        fate: 'in-flight',
        reportedInFlight: false,
        error: undefined,
        transaction: this.#current,
      };
      this.log.push(entry);
      return entry;
    };
    const settle = (entry: LoggedMessage, error: Error | undefined) => {
      entry.fate = error ? 'failed' : 'delivered';
      entry.error = error;
      entry.reportedInFlight =
        !this.settled && entry.invocation === this.invocation && !entry.signal?.aborted;
    };
    const transactions = real.transactions;
    const end = (id: number | undefined, to: 'committed' | 'aborted') => {
      if (id !== undefined) this.#states.set(id, to);
      if (this.#current === id) this.#current = undefined;
    };
    let next = 1;
    /** The real producer's enqueue (alone or not), each message logged and its fate noted. */
    const logged =
      (alone: boolean) => (message: OutgoingMessage, done: DeliveryCallback, signal?: AbortSignal) => {
        const entry = log(message);
        entry.signal = signal;
        const noted: DeliveryCallback = (error, report, sent) => {
          settle(entry, error);
          done(error, report, sent);
        };
        if (alone) real.enqueueAlone(message, noted, signal);
        else real.enqueue(message, noted, signal);
      };
    this.producer = {
      get backlog() {
        return real.backlog;
      },
      get maxMessageBytes() {
        return real.maxMessageBytes;
      },
      whenWritable: (signal) => real.whenWritable(signal),
      enqueue: logged(false),
      enqueueAlone: logged(true),
      send(message) {
        const entry = log(message);
        return real.send(message).then(
          (report) => {
            settle(entry, undefined);
            return report;
          },
          (error: Error) => {
            settle(entry, error);
            throw error;
          },
        );
      },
      flush: (timeoutMs) => real.flush(timeoutMs),
      close: (timeoutMs) => real.close(timeoutMs),
      transactions: transactions && {
        transactionalId: transactions.transactionalId,
        begin: async (timeoutMs) => {
          await transactions.begin(timeoutMs);
          this.#current = next++;
          this.#states.set(this.#current, 'open');
        },
        commit: async (timeoutMs) => {
          const id = this.#current;
          try {
            await transactions.commit(timeoutMs);
            end(id, 'committed');
          } catch (error) {
            // A commit that failed is not visible (a retriable one might complete later: duplicates).
            end(id, 'aborted');
            throw error;
          }
        },
        abort: async (timeoutMs) => {
          const id = this.#current;
          end(id, 'aborted');
          await transactions.abort(timeoutMs);
        },
      },
    };
    this.#heal = () => {
      state.healed = true;
      state.faults = { ...state.faults, deadLetters: 'ok', queueFullMs: 0, commit: 'ok' };
      behaviour.transactions = {};
      behaviour.queueLimit = Number.POSITIVE_INFINITY;
      behaviour.connect = 'healthy';
      for (const client of RecordedProducer.instances) (client as ModelNativeClient).heal();
    };
  }

  readonly #heal: () => void;

  heal(): void {
    this.#heal();
  }

  transactionStateOf(entry: LoggedMessage): 'open' | 'committed' | 'aborted' | undefined {
    return entry.transaction === undefined ? undefined : this.#states.get(entry.transaction);
  }
}

/** A RecordedProducer whose reports come by themselves, each topic answered as the scenario says. */
class ModelNativeClient extends RecordedProducer {
  static state: { faults: FaultSpec; healed: boolean } = { faults: undefined as never, healed: false };
  readonly #state = ModelNativeClient.state;
  #burst = new Map<string, Array<{ topic: string; value: Buffer | null; opaque: unknown }>>();
  readonly #held: Array<{ topic: string; opaque: unknown }> = [];

  override produce(
    topic: string,
    partition: number,
    value: Buffer | null,
    key: unknown,
    timestamp: unknown,
    opaque: unknown,
    headers: unknown,
  ): void {
    // Throws as the real client does (not connected, over message.max.bytes, queue full, outside a
    // transaction); queued (counted against the queue) until its report.
    super.produce(topic, partition, value, key, timestamp, opaque, headers);
    const { faults, healed } = this.#state;
    if (answerFor({ topic, key: null, value }, faults, false, healed) === 'hold') {
      this.#held.push({ topic, opaque });
      return;
    }
    let burst = this.#burst.get(topic);
    if (!burst) {
      burst = [];
      this.#burst.set(topic, burst);
      const latency = this.#state.faults.brokerLatencyMs;
      if (latency > 0) setTimeout(() => this.#report(topic), latency);
      else setImmediate(() => this.#report(topic));
    }
    burst.push({ topic, value, opaque });
  }

  #report(topic: string): void {
    const burst = this.#burst.get(topic) ?? [];
    this.#burst.delete(topic);
    const tooLarge =
      topic !== DEAD_LETTER_TOPIC && burst.some(({ value }) => (value?.length ?? 0) > OUTPUT_TOPIC_MAX_BYTES);
    const { faults, healed } = this.#state;
    for (const { value, opaque } of burst) {
      const at = this.queued.findIndex((q) => q.opaque === opaque);
      if (at >= 0) this.queued.splice(at, 1);
      let error: unknown = null;
      if (tooLarge)
        error = recordedError('too-large-broker', 'delivery-report', firstIndex('too-large-broker'));
      else {
        const answer = answerFor({ topic, key: null, value }, faults, false, healed);
        // The native shape (the SDK classifies it): the recorded error this topic's answer stands for.
        if (answer instanceof Error) error = (answer as Error & { cause?: unknown }).cause ?? answer;
      }
      this.emit('delivery-report', error, { topic, partition: 0, offset: 0, opaque });
    }
  }

  /** The commit's round trip, bounded by its timeout as librdkafka's is (recorded txn-commit-timeout). */
  override commitTransaction(timeout: number, callback: (error: NativeError | null) => void): void {
    const latency = this.#state.faults.brokerLatencyMs;
    if (latency <= 0) {
      super.commitTransaction(timeout, callback);
      return;
    }
    setTimeout(
      () => {
        if (latency > timeout) callback(firstRecordedError('txn-commit-timeout', 'commitTransaction'));
        else super.commitTransaction(timeout, callback);
      },
      Math.min(latency, Math.max(1, timeout)),
    );
  }

  /** The broker answers again: what it never answered is refused late (message timed out). */
  heal(): void {
    const held = this.#held.splice(0);
    setTimeout(() => {
      for (const { topic, opaque } of held) {
        const at = this.queued.findIndex((q) => q.opaque === opaque);
        if (at >= 0) this.queued.splice(at, 1);
        this.emit('delivery-report', RECORDED.timedOut(), { topic, partition: 0, offset: 0, opaque });
      }
    }, 1);
  }
}
