import type { KafkaConfigSource } from '../config/config-source.js';
import { asError, ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { AddonLoadError } from './addon-load-error.js';
import type { ClientHealth } from './client-errors.js';
import {
  BootstrapUnreachable,
  type ClientListeners,
  connectClient,
  createClient,
  DefinitiveConnectFailure,
  type NativeDeliveryReport,
} from './client-setup.js';
import type { loadKafkaClient, NativeError, NativeProducer } from './native-client.js';
import { ProducerConnectionError } from './producer-errors.js';
import { RereadBackoff } from './reread-backoff.js';

/** After a definitive failure, attempts wait 1 s, 2 s, 4 s, … at most this long (a success resets it). */
const MAX_DEFINITIVE_BACKOFF_MS = 30_000;

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
  /**
   * Runs on each new client once it is connected, before it is ready (e.g. initTransactions), within
   * what is left of the connect budget. A throw fails the attempt like a connect failure.
   */
  prepare?: ((client: NativeProducer, timeoutMs: number) => Promise<void>) | undefined;
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
  #maxMessageBytes: number | undefined;
  /** Clients built (each one connect attempt). */
  connects = 0;
  /** Failed attempts in a row: spaces the automatic retries (250 ms, 500 ms, … 5 s). */
  #failuresInARow = 0;
  /** The last definitive failure, repeated without a new attempt until `#definitiveUntil`. */
  #definitive: Error | undefined;
  #definitiveUntil = 0;
  #definitiveInARow = 0;
  readonly #listeners: ClientListeners = {
    delivery: (error, report) => this.#events.delivery(error, report),
    health: (client, health) => this.#health(client, health),
    tokenRefreshFailed: (error) => {
      this.#options.logger?.error('producer token refresh failed', { reason: error.message });
      if (this.#backoff.failed()) this.#source.invalidate?.();
    },
  };

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

  /**
   * Starts connecting unless connected or already connecting. Shortly after a failure that no retry
   * can fix as configured (no bootstrap server to connect to, an addon that cannot load) it fails again
   * at once with the same error (backing off: 1 s, 2 s, … 30 s), instead of paying a connect that cannot succeed.
   */
  ensure(): void {
    if (this.client || this.#connecting) return;
    if (this.#definitive && Date.now() < this.#definitiveUntil) {
      this.#events.failed(this.#definitive, true);
      return;
    }
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
    const origin = this.#source.describe?.() ?? 'its config source (e.g. Secrets Manager)';
    this.#attemptReason = `${origin} has not answered yet`;
    try {
      const [{ Producer }, userConfig] = await Promise.all([
        this.#options.loadClient(),
        this.#source.kafkaConfig(),
      ]);
      this.#attemptReason = undefined;
      const setup = createClient(Producer, userConfig, this.#listeners);
      this.#endpoint = setup.endpoint;
      this.#maxMessageBytes = setup.maxMessageBytes;
      this.connects++;
      client = setup.client;
      const budgetMs = this.#options.connectTimeoutMs ?? 10_000;
      const started = Date.now();
      await connectClient(
        client,
        budgetMs,
        (reason) => {
          this.#attemptReason = reason;
        },
        setup.bootstrap,
      );
      if (this.#options.prepare) {
        // As recorded: polling runs before initTransactions, so its log and errors are heard.
        client.setPollInBackground(true);
        await this.#options.prepare(client, Math.max(1, budgetMs - (Date.now() - started)));
      }
    } catch (error) {
      // A config source that failed has answered: its error is the reason, not the wait.
      if (!client) this.#attemptReason = undefined;
      this.#failed(client, error);
      return;
    }
    // Delivery reports are polled on librdkafka's own thread: nothing to schedule on the event loop.
    client.setPollInBackground(true);
    this.#backoff.succeeded();
    this.#failuresInARow = 0;
    this.#definitive = undefined;
    this.#definitiveInARow = 0;
    this.#unreachableSince = undefined;
    this.#lastReason = undefined;
    this.#client = client;
    this.#events.ready(client);
  }

  #failed(client: NativeProducer | undefined, error: unknown): void {
    if (client) {
      // The library's disconnect throws "Producer not connected" for a client that never connected.
      try {
        client.disconnect(1_000, () => undefined);
      } catch {}
    }
    // An addon that cannot load in this container never will: no retry of it within this invocation.
    const definitive =
      error instanceof DefinitiveConnectFailure || error instanceof AddonLoadError || isConfigFailure(error);
    const reason =
      error instanceof DefinitiveConnectFailure
        ? error.message
        : (this.#attemptReason ?? asError(error).message);
    this.#lastReason = reason;
    this.#attemptReason = undefined;
    // The config may be what is wrong (a secret that parses but does not work): read it again, throttled.
    if (!(error instanceof ConfigError) && this.#backoff.failed()) this.#source.invalidate?.();
    // A ConfigError (missing key, unreadable secret), a refused config or an addon that cannot load
    // already says it all.
    const failure =
      error instanceof ConfigError ||
      error instanceof ProducerConnectionError ||
      error instanceof AddonLoadError
        ? error
        : new ProducerConnectionError(`producer could not connect to ${this.#endpoint}: ${reason}`, {
            cause: error,
            definitive,
          });
    this.#options.logger?.warn('producer connect failed', { reason: failure.message, definitive });
    // Nothing to connect to, or no addon: the next attempts wait (a refused password is re-read instead).
    if (error instanceof BootstrapUnreachable || error instanceof AddonLoadError) {
      this.#definitive = failure;
      this.#definitiveUntil =
        Date.now() + Math.min(MAX_DEFINITIVE_BACKOFF_MS, 1_000 * 2 ** this.#definitiveInARow++);
    }
    this.#events.failed(failure, definitive);
    if (!definitive && this.#events.waiting()) {
      // Spaced even when the config source fails fast (e.g. AccessDenied): no read every few ms.
      const delayMs = Math.min(5_000, 250 * 2 ** this.#failuresInARow++);
      this.#retryTimer = setTimeout(() => this.ensure(), delayMs);
      this.#retryTimer.unref?.();
    }
  }

  #health(client: NativeProducer, health: ClientHealth): void {
    if (health.kind === 'transient') return;
    if (client !== this.#client) return; // an old client, or one still connecting (connectClient listens)
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

  /** Replaces a client found dead by its caller (e.g. produce() says "Producer not connected"). */
  discard(client: NativeProducer, reason: string): void {
    if (client === this.#client) this.#lose(client, reason, false);
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

// Codes of connect errors that come from the config, not the network (-172: e.g. "Unsupported hash
// function: SCRAM-SHA-265", a mechanism typo, recorded), and every creation or config error.
function isConfigFailure(error: unknown): boolean {
  if (error instanceof ConfigError) return !(error.name === 'SecretReadError');
  if (error instanceof ProducerConnectionError) return true;
  const code = (error as { code?: unknown })?.code;
  return code === -172 || code === -165 || code === -145;
}
