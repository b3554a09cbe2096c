import type { KafkaConfigSource, LibrdkafkaConfig } from '../config-source.js';
import { asError, ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type ClientHealth, classifyClientError, classifyClientLog } from './client-errors.js';
import type { loadKafkaClient, NativeError, NativeProducer, NativeProducerClass } from './native-client.js';
import { maxMessageBytesOf, PRODUCER_DEFAULTS } from './producer-defaults.js';
import { ProducerConnectionError } from './producer-errors.js';
import { RereadBackoff } from './reread-backoff.js';

/** A delivery report as the client emits it. */
export interface NativeDeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  opaque?: unknown;
}

/** What the connection tells its producer. */
export interface ConnectionEvents {
  ready(client: NativeProducer): void;
  /** A connect attempt failed; `definitive` when retrying before the config changes cannot help. */
  failed(error: Error, definitive: boolean): void;
  /** The client is dead (fatal, credentials refused, unreachable too long): fail what it holds. */
  lost(client: NativeProducer, error: ProducerConnectionError): void;
  delivery(error: NativeError | null | undefined, report: NativeDeliveryReport): void;
  /** True while messages wait for a connection: a failed attempt is then retried. */
  waiting(): boolean;
  /** True when `client` holds undelivered messages (an unreachable client is then replaced). */
  holds(client: NativeProducer): boolean;
}

/** Options of a {@link ClientConnection}. */
export interface ClientConnectionOptions {
  logger?: Logger | undefined;
  /** One connect attempt's budget (metadata fetch). A batch's own wait is bounded by its signal. */
  connectTimeoutMs?: number | undefined;
  /**
   * After this long with every broker connection down, no delivery, and messages stuck on the client,
   * the client is rebuilt (and the config re-read: the brokers may have moved). Default 60 s.
   */
  unreachableRebuildMs?: number | undefined;
  loadClient: typeof loadKafkaClient;
  backoff?: RereadBackoff | undefined;
}

/**
 * The native client's lifecycle: create it from the config source, connect within a budget, watch
 * its health (from the recorded shapes, see client-errors.ts), and replace it when it is dead,
 * re-reading the config source (with {@link RereadBackoff}) when the failure may come from it.
 *
 * @example
 * ```ts
 * const connection = new ClientConnection(source, { loadClient: loadKafkaClient }, events);
 * connection.ensure(); // starts connecting; events.ready(client) follows
 * ```
 */
export class ClientConnection {
  readonly #source: KafkaConfigSource;
  readonly #options: ClientConnectionOptions;
  readonly #events: ConnectionEvents;
  readonly #backoff: RereadBackoff;
  #client: NativeProducer | undefined;
  #connecting = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #unreachableSince: number | undefined;
  #endpoint = 'bootstrap.servers=(config not read yet)';
  /** Why the last attempt failed, or the client was lost. */
  #lastReason: string | undefined;
  /** What the current attempt's log says so far (e.g. "Connect to … failed: Connection refused"). */
  #attemptReason: string | undefined;
  /** The client being connected: only its log explains the current attempt. */
  #candidate: NativeProducer | undefined;
  #maxMessageBytes: number | undefined;
  connects = 0;

  constructor(source: KafkaConfigSource, options: ClientConnectionOptions, events: ConnectionEvents) {
    this.#source = source;
    this.#options = options;
    this.#events = events;
    this.#backoff = options.backoff ?? new RereadBackoff();
  }

  /** The connected, healthy client; undefined while there is none (call {@link ensure}). */
  get client(): NativeProducer | undefined {
    const since = this.#unreachableSince;
    const client = this.#client;
    if (
      client &&
      since !== undefined &&
      Date.now() - since > (this.#options.unreachableRebuildMs ?? 60_000)
    ) {
      // librdkafka repeats "all broker connections are down" while it is so: an idle client whose
      // brokers came back (nothing delivered to say so) is kept, and marked again if still down.
      this.#unreachableSince = undefined;
      if (this.#events.holds(client))
        this.#lose(client, `no broker reachable for ${Math.round((Date.now() - since) / 1_000)} s`, true);
    }
    return this.#client;
  }

  /** librdkafka's `message.max.bytes` from the effective config; undefined before the config was read. */
  get maxMessageBytes(): number | undefined {
    return this.#maxMessageBytes;
  }

  /** Why messages still wait for a connection: names the endpoint, never credentials. */
  notConnected(): ProducerConnectionError {
    return new ProducerConnectionError(
      `producer not connected to ${this.#endpoint}` +
        (this.#attemptReason || this.#lastReason ? `: ${this.#attemptReason ?? this.#lastReason}` : ''),
    );
  }

  /** Starts connecting unless connected or already connecting. */
  ensure(): void {
    if (this.client || this.#connecting) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#connecting = true;
    this.#attempt().finally(() => {
      this.#connecting = false;
    });
  }

  /** Tells the connection a message was delivered: the brokers are reachable. */
  delivered(): void {
    this.#unreachableSince = undefined;
  }

  /** Detaches the client (close() flushes and disconnects it); later attempts start afresh. */
  release(): NativeProducer | undefined {
    const client = this.#client;
    this.#client = undefined;
    clearTimeout(this.#retryTimer);
    return client;
  }

  async #attempt(): Promise<void> {
    let client: NativeProducer | undefined;
    this.#attemptReason = undefined;
    try {
      const [{ Producer }, userConfig] = await Promise.all([
        this.#options.loadClient(),
        this.#source.kafkaConfig(),
      ]);
      client = this.#create(Producer, userConfig);
      await this.#connect(client);
    } catch (error) {
      this.#failed(client, error);
      return;
    }
    // Delivery reports are polled on librdkafka's own thread: nothing to schedule on the event loop.
    client.setPollInBackground(true);
    this.#backoff.succeeded();
    this.#unreachableSince = undefined;
    this.#lastReason = undefined;
    this.#client = client;
    this.#events.ready(client);
  }

  #create(Producer: NativeProducerClass, userConfig: LibrdkafkaConfig): NativeProducer {
    const servers = userConfig['bootstrap.servers'] ?? userConfig['metadata.broker.list'];
    if (!servers) throw new ConfigError('producer config is missing "bootstrap.servers"');
    const config = { ...PRODUCER_DEFAULTS, ...userConfig };
    this.#endpoint = `bootstrap.servers=${String(servers)} (security.protocol=${String(config['security.protocol'] ?? 'plaintext')})`;
    this.#maxMessageBytes = maxMessageBytesOf(config);
    let client: NativeProducer;
    try {
      client = new Producer({ ...config, dr_cb: true });
    } catch (error) {
      // An unknown property, a bad value: librdkafka names the property, never a credential's value.
      throw new ProducerConnectionError(
        `cannot create the producer for ${this.#endpoint}: ${asError(error).message}`,
        {
          cause: error,
        },
      );
    }
    client.on('delivery-report', (error, report) => this.#events.delivery(error, report));
    client.on('event.error', (error) => this.#health(client, classifyClientError(error)));
    client.on('event.log', (log) => {
      const health = classifyClientLog(log);
      if (health) this.#health(client, health);
    });
    // The client emits 'error' when an OAUTHBEARER token refresh fails; unheard, it would end the process.
    client.on('error', (error) => {
      this.#options.logger?.error('producer token refresh failed', { reason: error.message });
      if (this.#backoff.failed()) this.#source.invalidate?.();
    });
    this.connects++;
    this.#candidate = client;
    return client;
  }

  #connect(client: NativeProducer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // While connecting nothing polls, so `event.error` waits: a refused password or a fatal error
      // shows up only in the log (recorded). Without this, connect would wait for its timeout.
      this.#onConnectHealth = (health) => {
        if (health.kind === 'refused' || health.kind === 'fatal')
          reject(new DefinitiveFailure(health.reason));
      };
      client.connect({ timeout: this.#options.connectTimeoutMs ?? 10_000 }, (error) => {
        if (error) reject(asError(error));
        else resolve();
      });
    }).finally(() => {
      this.#onConnectHealth = undefined;
      this.#candidate = undefined;
    });
  }

  #onConnectHealth: ((health: ClientHealth) => void) | undefined;

  #failed(client: NativeProducer | undefined, error: unknown): void {
    if (client) {
      // The library's disconnect throws "Producer not connected" for a client that never connected.
      try {
        client.disconnect(1_000, () => undefined);
      } catch {}
    }
    const definitive = error instanceof DefinitiveFailure || isConfigFailure(error);
    const reason =
      error instanceof DefinitiveFailure ? error.message : (this.#attemptReason ?? asError(error).message);
    this.#lastReason = reason;
    this.#attemptReason = undefined;
    // The config may be what is wrong (a secret that parses but does not work): read it again, throttled.
    if (!(error instanceof ConfigError) && this.#backoff.failed()) this.#source.invalidate?.();
    const failure =
      error instanceof ConfigError
        ? error
        : new ProducerConnectionError(`producer could not connect to ${this.#endpoint}: ${reason}`, {
            cause: error,
          });
    this.#options.logger?.warn('producer connect failed', { reason: failure.message, definitive });
    this.#events.failed(failure, definitive);
    if (!definitive && this.#events.waiting()) {
      this.#retryTimer = setTimeout(() => this.ensure(), this.#backoff.retryDelayMs);
      this.#retryTimer.unref?.();
    }
  }

  #health(client: NativeProducer, health: ClientHealth): void {
    if (health.kind === 'transient') {
      if (client === this.#candidate) this.#attemptReason = health.reason; // why it does not connect
      return;
    }
    if (client === this.#candidate) this.#onConnectHealth?.(health);
    if (client !== this.#client) return;
    if (health.kind === 'unreachable') {
      if (this.#unreachableSince === undefined) {
        this.#unreachableSince = Date.now();
        this.#options.logger?.warn(
          'producer: all broker connections are down; librdkafka keeps reconnecting',
          {
            endpoint: this.#endpoint,
          },
        );
      }
      return;
    }
    this.#lose(client, health.reason, health.kind === 'refused' || /authori[sz]ation/i.test(health.reason));
  }

  #lose(client: NativeProducer, reason: string, rereadConfig: boolean): void {
    this.#client = undefined;
    this.#unreachableSince = undefined;
    this.#lastReason = reason;
    if (rereadConfig && this.#backoff.failed()) this.#source.invalidate?.();
    const error = new ProducerConnectionError(`producer client for ${this.#endpoint} failed: ${reason}`);
    this.#options.logger?.error('producer client failed; it will be rebuilt', { reason });
    this.#events.lost(client, error);
    try {
      client.disconnect(1_000, () => undefined);
    } catch {}
    if (this.#events.waiting()) this.ensure();
  }
}

/** Credentials refused or a fatal error while connecting: retrying with the same config cannot help. */
class DefinitiveFailure extends Error {}

// Codes of connect errors that come from the config, not the network (-172: e.g. "Unsupported hash
// function: SCRAM-SHA-265", a mechanism typo, recorded), and every creation or config error.
function isConfigFailure(error: unknown): boolean {
  if (error instanceof ConfigError) return !(error.name === 'SecretReadError');
  if (error instanceof ProducerConnectionError) return true;
  const code = (error as { code?: unknown })?.code;
  return code === -172 || code === -165 || code === -145;
}
