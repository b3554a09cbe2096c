import type { KafkaConfigSource, LibrdkafkaConfig } from '../config-source.js';
import { asError, ConfigError, FlushTimeoutError, KafkaLambdaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { loadKafkaClient, type NativeProducer, type NativeProducerClass } from './native-client.js';
import type { DeliveryCallback, DeliveryReport, KafkaProducer, OutgoingMessage } from './types.js';

/**
 * Defaults for a producer inside Lambda. User properties override them, names unchanged.
 * - acks=all + idempotence: a delivery report means every in-sync replica has the message, once.
 * - connections.max.idle.ms below the ~350 s after which NAT gateways silently drop idle flows, and
 *   TCP keepalive, so a connection that sat through a freeze is closed by us, not found dead later.
 * - message.timeout.ms bounds how long an undeliverable message can hold up a flush.
 */
export const PRODUCER_DEFAULTS: LibrdkafkaConfig = {
  acks: 'all',
  'enable.idempotence': true,
  'linger.ms': 5,
  'connections.max.idle.ms': 300_000,
  'socket.keepalive.enable': true,
  'message.timeout.ms': 60_000,
  'client.id': 'kafka-lambda',
};

const ERR_QUEUE_FULL = -184;
const ERR_TIMED_OUT = -185;
const ERR_AUTHENTICATION = -169;
const ERR_ALL_BROKERS_DOWN = -187;
const QUEUE_FULL_RETRY_MS = 5;
const SASL_FAILURE = /SASL authentication error/;

/** Counters a test or a benchmark can read. */
export interface ProducerStats {
  connects: number;
  flushes: number;
  sent: number;
  delivered: number;
  failed: number;
}

/** Options of {@link kafkaProducer}. */
export interface KafkaProducerOptions {
  logger?: Logger;
  /** How long connecting (metadata fetch) may take. Default 10 s. */
  connectTimeoutMs?: number;
  /** @internal Replaces the native client module, for tests of the failure paths. */
  loadClient?: typeof loadKafkaClient;
}

/** The producer is not connected, or lost its connection for good; the next send builds a new one. */
export class ProducerConnectionError extends KafkaLambdaError {
  override name = 'ProducerConnectionError';
}

interface Pending {
  readonly message: OutgoingMessage;
  readonly done: DeliveryCallback;
}

/**
 * A producer over `@confluentinc/kafka-javascript` (librdkafka), shaped for Lambda: the native addon is
 * imported on first use, sends never wait, delivery reports settle each send's promise, and a client
 * that hit a fatal error (or was refused its credentials) is replaced on the next send.
 *
 * Prefer passing a config to `createKafkaHandler({ producer })`, which keeps one such producer per
 * container; build one yourself when you need its {@link RdKafkaProducer.stats}.
 *
 * @example
 * ```ts
 * const producer = kafkaProducer({ 'bootstrap.servers': 'localhost:9092' });
 * const delivered = producer.send({ topic: 'out', key: null, value: Buffer.from('hi') });
 * await producer.flush(10_000);
 * await delivered;
 * ```
 */
export function kafkaProducer(
  config: LibrdkafkaConfig | KafkaConfigSource,
  options: KafkaProducerOptions = {},
): RdKafkaProducer {
  return new RdKafkaProducer(config, options);
}

export class RdKafkaProducer implements KafkaProducer {
  readonly stats: ProducerStats = { connects: 0, flushes: 0, sent: 0, delivered: 0, failed: 0 };

  readonly #source: KafkaConfigSource;
  readonly #options: KafkaProducerOptions;
  #client: NativeProducer | undefined;
  #connecting: Promise<NativeProducer> | undefined;
  #broken: Error | undefined;
  readonly #inFlight = new Set<Pending>();
  readonly #queueFullRetries: Pending[] = [];
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(config: LibrdkafkaConfig | KafkaConfigSource, options: KafkaProducerOptions = {}) {
    this.#source = isConfigSource(config) ? config : { kafkaConfig: async () => config };
    this.#options = options;
  }

  /** Messages sent but not yet confirmed or failed. */
  get pending(): number {
    return this.#inFlight.size;
  }

  warmUp(): void {
    this.#connect().catch((error: unknown) => {
      this.#options.logger?.warn('producer warm-up failed; the first send will retry', {
        error: asError(error),
      });
    });
  }

  send(message: OutgoingMessage): Promise<DeliveryReport> {
    return new Promise<DeliveryReport>((resolve, reject) =>
      this.enqueue(message, (error, report) => (error ? reject(error) : resolve(report!))),
    );
  }

  enqueue(message: OutgoingMessage, done: DeliveryCallback): void {
    const pending: Pending = { message, done };
    const client = this.#client;
    // Connect first: replacing a broken client fails what was in flight on it, not this message.
    const connected = client && !this.#broken ? undefined : this.#connect();
    this.#inFlight.add(pending);
    this.stats.sent++;
    if (!connected) this.#produce(client!, pending);
    else
      connected.then(
        (ready) => this.#produce(ready, pending),
        (error) => this.#settle(pending, error),
      );
  }

  async flush(timeoutMs: number): Promise<void> {
    this.stats.flushes++;
    if (this.#inFlight.size === 0) return;
    // Sends still waiting for the connection are in #inFlight but not yet in librdkafka: wait for them.
    if (!this.#client) await this.#connecting?.catch(() => undefined);
    const client = this.#client;
    if (!client) return this.#waitForSettled(timeoutMs);
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      client.flush(timeoutMs, (error) => {
        if (!error) return resolve();
        reject(
          error.code === ERR_TIMED_OUT
            ? new FlushTimeoutError(timeoutMs, this.#inFlight.size)
            : asError(error),
        );
      });
    });
    // Delivery reports reach JavaScript a tick after librdkafka served them.
    await this.#waitForSettled(Math.max(0, timeoutMs - (Date.now() - started)));
  }

  async close(timeoutMs = 5_000): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      await this.flush(timeoutMs);
    } finally {
      this.#client = undefined;
      await new Promise<void>((resolve) => client.disconnect(timeoutMs, () => resolve()));
    }
  }

  /** Hands a message to librdkafka; false when its queue is full (the message then waits its turn). */
  #produce(client: NativeProducer, pending: Pending, fromRetryQueue = false): boolean {
    // While earlier messages wait for room, later ones queue behind them: a message must never
    // overtake an earlier one of the same partition (librdkafka keeps order only for what it holds).
    if (!fromRetryQueue && this.#queueFullRetries.length > 0) {
      this.#queueFullRetries.push(pending);
      return false;
    }
    const { topic, partition, key, value, headers, timestamp } = pending.message;
    try {
      client.produce(
        topic,
        partition ?? -1,
        value,
        key,
        timestamp ?? null,
        pending,
        // Most results carry no headers: undefined spares the addon an empty list per message.
        headers && headers.length > 0 ? headers.map(([name, bytes]) => ({ [name]: bytes })) : undefined,
      );
      return true;
    } catch (error) {
      if ((error as { code?: number }).code !== ERR_QUEUE_FULL) {
        this.#settle(pending, error);
        return true;
      }
      if (!fromRetryQueue) this.#queueFullRetries.push(pending);
      this.#retryWhenQueueHasRoom();
      return false;
    }
  }

  // librdkafka's queue is bounded; a full queue drains as deliveries complete, so retry shortly, in order.
  #retryWhenQueueHasRoom(): void {
    this.#retryTimer ??= setTimeout(() => {
      this.#retryTimer = undefined;
      while (this.#queueFullRetries.length > 0) {
        const client = this.#client;
        if (!client) {
          for (const retry of this.#queueFullRetries.splice(0))
            this.#settle(
              retry,
              new ProducerConnectionError('producer disconnected while its queue was full'),
            );
          return;
        }
        if (!this.#produce(client, this.#queueFullRetries[0]!, true)) return; // still full: retried later
        this.#queueFullRetries.shift();
      }
    }, QUEUE_FULL_RETRY_MS);
  }

  #onDelivery(
    error: { code?: number; message: string } | null | undefined,
    report: NativeDeliveryReport,
  ): void {
    const pending = report.opaque as Pending | undefined;
    if (!pending || !this.#inFlight.has(pending)) return;
    if (error) this.#settle(pending, error);
    else this.#settle(pending, undefined, report);
  }

  #settle(pending: Pending, error: unknown, report?: DeliveryReport): void {
    if (!this.#inFlight.delete(pending)) return;
    if (report) {
      this.stats.delivered++;
      pending.done(undefined, report, pending.message);
    } else {
      this.stats.failed++;
      pending.done(asError(error), undefined, pending.message);
    }
    if (this.#inFlight.size === 0) for (const waiter of this.#drainWaiters.splice(0)) waiter();
  }

  readonly #drainWaiters: Array<() => void> = [];

  #waitForSettled(timeoutMs: number): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#drainWaiters.indexOf(done);
        if (index >= 0) this.#drainWaiters.splice(index, 1);
        reject(new FlushTimeoutError(timeoutMs, this.#inFlight.size));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#drainWaiters.push(done);
    });
  }

  #connect(): Promise<NativeProducer> {
    if (this.#client && !this.#broken) return Promise.resolve(this.#client);
    if (this.#broken) this.#discardBrokenClient();
    this.#connecting ??= this.#createClient().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #createClient(): Promise<NativeProducer> {
    const [{ Producer }, userConfig] = await Promise.all([
      (this.#options.loadClient ?? loadKafkaClient)(),
      this.#source.kafkaConfig(),
    ]);
    if (!userConfig['bootstrap.servers'] && !userConfig['metadata.broker.list']) {
      throw new ConfigError('producer config is missing "bootstrap.servers"');
    }
    const client = new (Producer as NativeProducerClass)({
      ...PRODUCER_DEFAULTS,
      ...userConfig,
      dr_cb: true,
    });
    client.on('delivery-report', (error, report) => this.#onDelivery(error, report));
    client.on('event.error', (error) => this.#onClientError(client, error));
    // The client emits 'error' when an OAUTHBEARER token refresh fails; unheard, it would end the process.
    client.on('error', (error) => {
      this.#options.logger?.error('producer token refresh failed', { reason: error.message });
      this.#source.invalidate?.();
    });
    this.stats.connects++;
    try {
      await new Promise<void>((resolve, reject) => {
        // librdkafka reports a refused password only in its log while connecting (errors wait for a
        // poll that starts after connect): without this, connect would wait for its timeout.
        const refused = (reason: string) => {
          this.#source.invalidate?.();
          reject(new ProducerConnectionError(`producer could not authenticate: ${reason}`));
        };
        client.on('event.error', (error) => {
          if (error.code === ERR_AUTHENTICATION) refused(error.message);
        });
        client.on('event.log', (log) => {
          if (SASL_FAILURE.test(log.message)) refused(log.message.slice(log.message.indexOf('SASL')));
        });
        client.connect({ timeout: this.#options.connectTimeoutMs ?? 10_000 }, (error) => {
          if (error)
            reject(
              new ProducerConnectionError(`producer could not connect: ${error.message}`, { cause: error }),
            );
          else resolve();
        });
      });
    } catch (error) {
      // The client never connected: the library's disconnect may throw ("Producer not connected"),
      // which must not replace the error that says why.
      try {
        client.disconnect(1_000, () => undefined);
      } catch {}
      throw error;
    }
    // Delivery reports are polled on librdkafka's own thread: nothing to schedule on the event loop.
    client.setPollInBackground(true);
    this.#broken = undefined;
    this.#client = client;
    return client;
  }

  #onClientError(client: NativeProducer, error: { code?: number; message: string; isFatal?: boolean }): void {
    if (client !== this.#client) return;
    const authFailed = error.code === ERR_AUTHENTICATION;
    if (error.isFatal || authFailed) {
      // Idempotence state is lost after a fatal error: this client can never deliver again.
      this.#broken = new ProducerConnectionError(`producer failed: ${error.message}`, { cause: error });
      if (authFailed) this.#source.invalidate?.();
      this.#options.logger?.error('producer client failed; it will be rebuilt on the next send', {
        code: error.code,
        reason: error.message,
      });
    } else if (error.code !== ERR_ALL_BROKERS_DOWN) {
      this.#options.logger?.warn('producer client error', { code: error.code, reason: error.message });
    }
  }

  #discardBrokenClient(): void {
    const client = this.#client;
    const reason = this.#broken ?? new ProducerConnectionError('producer replaced');
    this.#client = undefined;
    this.#broken = undefined;
    for (const pending of [...this.#inFlight]) this.#settle(pending, reason);
    client?.disconnect(1_000, () => undefined);
  }
}

interface NativeDeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  opaque?: unknown;
}

function isConfigSource(value: LibrdkafkaConfig | KafkaConfigSource): value is KafkaConfigSource {
  return typeof (value as KafkaConfigSource).kafkaConfig === 'function';
}
