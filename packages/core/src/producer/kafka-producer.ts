import type { KafkaConfigSource, LibrdkafkaConfig } from '../config/config-source.js';
import type { DeliveryEngine } from '../contract/delivery.js';
import type {
  DeliveryCallback,
  DeliveryReport,
  KafkaProducer,
  OutgoingMessage,
  ProducerTransactions,
} from '../contract/producer.js';
import { deliveryEngine } from '../delivery/engine.js';
import { asError, ConfigError, FlushTimeoutError } from '../shared/errors.js';
import { jsonLogger, type Logger } from '../shared/logger.js';
import { ClientConnection } from './client-connection.js';
import { namesBrokers } from './client-setup.js';
import { DeliveryTracker, type Entry, type ProducerStats } from './delivery-tracker.js';
import { Dispatcher } from './dispatcher.js';
import { loadKafkaClient, type NativeProducer } from './native-client.js';
import { ProducerConnectionError } from './producer-errors.js';
import { closeOnSigterm, forgetOnSigterm } from './shutdown-hook.js';
import { ClientTransactions, type TransactionalOptions } from './transactions.js';

export type { ProducerStats } from './delivery-tracker.js';
export { PRODUCER_DEFAULTS } from './producer-defaults.js';
export { ProducerConnectionError, ProducerDeliveryError, ProducerQueueFullError } from './producer-errors.js';
export {
  TransactionError,
  type TransactionFailureKind,
  type TransactionOperation,
} from './transaction-errors.js';
export type { TransactionalOptions } from './transactions.js';

/** Options of {@link kafkaProducer}. */
export interface KafkaProducerOptions {
  logger?: Logger;
  /**
   * How long one connect attempt (metadata fetch) may take. Default 10 s. A batch never waits longer
   * than its own deadline: messages still waiting for a connection then fail with a
   * {@link ProducerConnectionError}, and the attempt goes on for the next batch.
   */
  connectTimeoutMs?: number;
  /** How many bytes of messages the producer may hold in memory while librdkafka is full or unreachable. Default 64 MiB. */
  maxBacklogBytes?: number;
  /** With every broker connection down this long, nothing delivered and messages stuck on it, the client is rebuilt. Default 60 s. */
  unreachableRebuildMs?: number;
  /**
   * Makes the producer transactional (`true` for the defaults): `transactional.id` and
   * `transaction.timeout.ms` are set on its clients, `initTransactions` runs once per client inside
   * the connect budget, and a message is accepted only inside a transaction (`beginTransaction`).
   * Given to `createKafkaHandler({ producer })`, each invocation's outputs become one transaction.
   */
  transactional?: boolean | TransactionalOptions;
  /**
   * Close the producer (delivering what it still holds) when Lambda shuts the container down
   * (SIGTERM, sent when an extension is registered). Default true.
   */
  closeOnSigterm?: boolean;
  /** @internal Replaces the native client module, for tests of the failure paths. */
  loadClient?: typeof loadKafkaClient;
}

/**
 * A producer over `@confluentinc/kafka-javascript` (librdkafka), shaped for Lambda: the native addon is
 * imported on first use, sends never wait, delivery reports settle each message, a client that died
 * (fatal error, refused credentials, unreachable for long) is replaced, re-reading the config source.
 *
 * Create it once, at module scope, and give it to `createKafkaHandler({ producer })`: one warm
 * producer per container, connecting during Lambda's init phase, closed on SIGTERM.
 *
 * @example
 * ```ts
 * import { createKafkaHandler } from '@kafka-lambda/core';
 * import { kafkaProducer } from '@kafka-lambda/core/producer';
 *
 * const producer = kafkaProducer({ 'bootstrap.servers': process.env.KAFKA_BROKERS! });
 * export const handler = createKafkaHandler({
 *   producer,
 *   process(record, { produce }) {
 *     produce({ topic: 'out', key: record.key, value: record.value });
 *   },
 * });
 * ```
 */
export function kafkaProducer(
  config: LibrdkafkaConfig | KafkaConfigSource,
  options: KafkaProducerOptions = {},
): RdKafkaProducer {
  if (!isConfigSource(config)) checkProperties(config);
  const producer = new RdKafkaProducer(config, options);
  if (options.closeOnSigterm !== false) closeOnSigterm(producer, options.logger ?? jsonLogger());
  return producer;
}

/** Properties that name no broker would load the client and fail at the first send: fail at init. */
function checkProperties(config: unknown): void {
  if (typeof config !== 'object' || config === null)
    throw new ConfigError('kafkaProducer needs librdkafka properties or a config source');
  if (!namesBrokers(config as Record<string, unknown>)) {
    throw new ConfigError(
      "kafkaProducer needs 'bootstrap.servers' (librdkafka properties), or a config source such as envConfig() or secretsConfig()",
    );
  }
}

/**
 * See {@link kafkaProducer}. `enqueue` with the batch's signal is what the handler uses: a message
 * the producer still holds when the signal aborts is settled and never produced.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * producer.enqueue(message, (error, report) => console.log(error ?? report), controller.signal);
 * await producer.whenWritable(controller.signal); // before handing over the next record's messages
 * ```
 */
export class RdKafkaProducer implements KafkaProducer {
  /** What the handler sends a batch's outputs and dead letters with (see `deliveryEngine`). */
  readonly deliveryEngine: DeliveryEngine = deliveryEngine;
  readonly #tracker = new DeliveryTracker({ connects: 0, flushes: 0, sent: 0, delivered: 0, failed: 0 });
  readonly #connection: ClientConnection;
  readonly #dispatcher: Dispatcher;
  readonly #transactions: ClientTransactions | undefined;

  constructor(config: LibrdkafkaConfig | KafkaConfigSource, options: KafkaProducerOptions = {}) {
    const plain = isConfigSource(config) ? config : { kafkaConfig: async () => config };
    const { transactional } = options;
    const transactions: ClientTransactions | undefined =
      transactional === undefined || transactional === false
        ? undefined
        : new ClientTransactions(
            {
              get client(): NativeProducer | undefined {
                return connection.client;
              },
              ensure: () => connection.ensure(),
              discard: (client, reason) => connection.discard(client, reason),
              notConnected: () => connection.notConnected(),
            },
            transactional === true ? {} : transactional,
          );
    this.#transactions = transactions;
    const source = transactions ? configured(plain, (c) => transactions.configure(c)) : plain;
    const connection: ClientConnection = new ClientConnection(
      source,
      {
        ...options,
        loadClient: options.loadClient ?? loadKafkaClient,
        prepare: transactions && ((client, timeoutMs) => transactions.init(client, timeoutMs)),
      },
      {
        ready: () => {
          this.#dispatcher.drain();
          transactions?.clients.ready();
        },
        failed: (error, definitive) => {
          this.#dispatcher.fail(error, definitive);
          transactions?.clients.failed(error, definitive);
        },
        lost: (client, error) => this.#lost(client, error),
        delivery: (error, report) => this.#dispatcher.delivered(error, report),
        waiting: () => this.#dispatcher.backlog.size > 0 || transactions?.clients.waiting === true,
        holds: (client) => this.#tracker.onClient(client).length > 0,
      },
    );
    this.#connection = connection;
    this.#dispatcher = new Dispatcher(this.#connection, this.#tracker, options.maxBacklogBytes);
  }

  /**
   * The producer's transactions when built with `transactional` (undefined otherwise): every message
   * must then be enqueued between `begin` and `commit`/`abort`.
   */
  get transactions(): ProducerTransactions | undefined {
    return this.#transactions;
  }

  /** Counters: connects, flushes, messages handed to librdkafka, delivered, failed. */
  get stats(): ProducerStats {
    this.#tracker.stats.connects = this.#connection.connects;
    return this.#tracker.stats;
  }

  /** Messages enqueued whose callback has not run yet (held or in librdkafka). */
  get pending(): number {
    return this.#tracker.size;
  }

  /** Messages held in memory, waiting for a connection or for room in librdkafka's queue. */
  get backlog(): number {
    return this.#dispatcher.backlog.size;
  }

  get maxMessageBytes(): number | undefined {
    return this.#connection.maxMessageBytes;
  }

  warmUp(): void {
    this.#connection.ensure();
  }

  send(message: OutgoingMessage): Promise<DeliveryReport> {
    return new Promise<DeliveryReport>((resolve, reject) =>
      this.enqueue(message, (error, report) => (error ? reject(error) : resolve(report!))),
    );
  }

  enqueue(message: OutgoingMessage, onDelivery: DeliveryCallback, signal?: AbortSignal): void {
    this.#enqueue(message, onDelivery, signal, false);
  }

  /**
   * See {@link KafkaProducer.enqueueAlone}: waits (in the producer's backlog) until every message
   * handed over before it has its report; later messages wait until it has its own.
   */
  enqueueAlone(message: OutgoingMessage, onDelivery: DeliveryCallback, signal?: AbortSignal): void {
    this.#enqueue(message, onDelivery, signal, true);
  }

  #enqueue(
    message: OutgoingMessage,
    onDelivery: DeliveryCallback,
    signal: AbortSignal | undefined,
    alone: boolean,
  ): void {
    const entry: Entry = {
      message,
      done: onDelivery,
      signal,
      bytes: sizeOf(message),
      client: undefined,
      settled: false,
      prev: undefined,
      next: undefined,
    };
    try {
      if (signal?.aborted) {
        this.#tracker.add(entry);
        // Its batch is over: never handed to the client, settled with the batch's own reason.
        this.#tracker.settle(entry, signal.reason ?? new Error('the batch was aborted'));
      } else this.#dispatcher.submit(entry, alone);
    } catch (error) {
      // Never throws (the contract): whatever went wrong fails this message only.
      this.#tracker.add(entry);
      this.#tracker.settle(entry, asError(error));
    }
  }

  whenWritable(signal: AbortSignal): Promise<void> {
    return this.#dispatcher.backlog.whenEmpty(signal);
  }

  /**
   * Waits (in JavaScript, holding no libuv thread) until every message enqueued so far has its
   * delivery report; rejects with a {@link FlushTimeoutError} naming the topics still pending.
   */
  async flush(timeoutMs: number): Promise<void> {
    this.stats.flushes++;
    if (await this.#tracker.whenIdle(timeoutMs)) return;
    throw new FlushTimeoutError(timeoutMs, this.#tracker.size, this.#tracker.topics());
  }

  /** Fails what is held, flushes librdkafka (natively, up to `timeoutMs`) and disconnects. */
  async close(timeoutMs = 5_000): Promise<void> {
    forgetOnSigterm(this);
    this.#dispatcher.fail(new ProducerConnectionError('producer closed before the message was sent'), true);
    const client = this.#connection.release();
    if (!client) return;
    // Natively (a libuv thread waits up to timeoutMs): fine once, at shutdown. Both calls throw
    // "Producer not connected" (recorded) for a client that lost its connection: nothing to flush then.
    await settleCall((done) => client.flush(timeoutMs, done));
    await settleCall((done) => client.disconnect(timeoutMs, done));
    this.#lost(
      client,
      new ProducerConnectionError('producer closed before the broker acknowledged the message'),
    );
  }

  #lost(client: NativeProducer, error: ProducerConnectionError): void {
    for (const entry of this.#tracker.onClient(client)) this.#tracker.settle(entry, error);
  }
}

/** Runs a callback-style call; resolves when it calls back or throws. */
function settleCall(call: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    try {
      call(() => resolve());
    } catch {
      resolve();
    }
  });
}

function sizeOf({ key, value, headers }: OutgoingMessage): number {
  let bytes = (key?.length ?? 0) + (value?.length ?? 0);
  if (headers) for (const [name, header] of headers) bytes += name.length + header.length;
  return bytes;
}

/** The source with each config it reads passed through `configure` (e.g. adding the transactional.id). */
function configured(
  source: KafkaConfigSource,
  configure: (config: LibrdkafkaConfig) => LibrdkafkaConfig,
): KafkaConfigSource {
  return {
    kafkaConfig: async () => configure(await source.kafkaConfig()),
    ...(source.invalidate && { invalidate: () => source.invalidate!() }),
    ...(source.describe && { describe: () => source.describe!() }),
  };
}

function isConfigSource(value: LibrdkafkaConfig | KafkaConfigSource): value is KafkaConfigSource {
  return typeof (value as KafkaConfigSource).kafkaConfig === 'function';
}
