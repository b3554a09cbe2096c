import type { LibrdkafkaConfig } from '../config/config-source.js';
import { asError, ConfigError } from '../shared/errors.js';
import { BootstrapFailures, bootstrapServersOf, DEFINITIVE_GRACE_MS } from './bootstrap-failures.js';
import { type ClientHealth, classifyClientError, classifyClientLog } from './client-errors.js';
import type { NativeError, NativeProducer, NativeProducerClass } from './native-client.js';
import { maxMessageBytesOf, PRODUCER_DEFAULTS } from './producer-defaults.js';
import { ProducerConnectionError } from './producer-errors.js';

/** A delivery report as the client emits it. */
export interface NativeDeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  opaque?: unknown;
}

/** Where a new client's events go. */
export interface ClientListeners {
  delivery(error: NativeError | null | undefined, report: NativeDeliveryReport): void;
  health(client: NativeProducer, health: ClientHealth): void;
  /** The client emits 'error' when an OAUTHBEARER token refresh fails; unheard, it would end the process. */
  tokenRefreshFailed(error: Error): void;
}

/** A client built from a config, not connected yet. */
export interface ClientSetup {
  readonly client: NativeProducer;
  /** `bootstrap.servers=… (security.protocol=…)`: what error messages name, never credentials. */
  readonly endpoint: string;
  readonly maxMessageBytes: number;
  /** The bootstrap servers, as `host:port` in lower case. */
  readonly bootstrap: readonly string[];
}

/** Connecting cannot succeed with this config (credentials refused, a fatal error): do not retry as is. */
export class DefinitiveConnectFailure extends Error {}

/** Every bootstrap server refused the connection or has no such name: nothing to connect to as configured. */
export class BootstrapUnreachable extends DefinitiveConnectFailure {}

/** Whether librdkafka properties name at least one broker (`bootstrap.servers` or its old name). */
export function namesBrokers(config: Readonly<Record<string, unknown>>): boolean {
  const servers = config['bootstrap.servers'] ?? config['metadata.broker.list'];
  return typeof servers === 'string' && servers.trim() !== '';
}

/** `bootstrap.servers=… (security.protocol=…)` of a config. */
export function endpointOf(config: LibrdkafkaConfig): string {
  const servers = config['bootstrap.servers'] ?? config['metadata.broker.list'];
  return `bootstrap.servers=${String(servers)} (security.protocol=${String(config['security.protocol'] ?? 'plaintext')})`;
}

/**
 * Builds a client with the Lambda defaults under the user's properties, its listeners attached.
 * Throws a ConfigError without bootstrap.servers, a ProducerConnectionError when librdkafka refuses
 * the config (recorded: `No such configuration property: "…"`; it names properties, never values).
 *
 * @example
 * ```ts
 * const { client, endpoint } = createClient(Producer, { 'bootstrap.servers': 'b:9092' }, listeners);
 * ```
 */
export function createClient(
  Producer: NativeProducerClass,
  userConfig: LibrdkafkaConfig,
  listeners: ClientListeners,
): ClientSetup {
  if (!namesBrokers(userConfig)) throw new ConfigError('producer config is missing "bootstrap.servers"');
  const config = { ...PRODUCER_DEFAULTS, ...userConfig };
  // Error lines (syslog 3) are the only place librdkafka tells a refused password from a broker that
  // did not answer (see client-errors.ts): a lower log_level would hide them. They reach only our
  // 'event.log' listener, nothing is printed, so keeping them costs the user nothing.
  if (Number(config.log_level ?? 6) < 3) config.log_level = 3;
  const endpoint = endpointOf(config);
  let client: NativeProducer;
  try {
    client = new Producer({ ...config, dr_cb: true });
  } catch (error) {
    throw new ProducerConnectionError(
      `cannot create the producer for ${endpoint}: ${asError(error).message}`,
      {
        cause: error,
      },
    );
  }
  client.on('delivery-report', (error, report) => listeners.delivery(error, report));
  client.on('event.error', (error) => listeners.health(client, classifyClientError(error)));
  client.on('event.log', (log) => {
    const health = classifyClientLog(log);
    if (health) listeners.health(client, health);
  });
  client.on('error', (error) => listeners.tokenRefreshFailed(error));
  return {
    client,
    endpoint,
    maxMessageBytes: maxMessageBytesOf(config),
    bootstrap: bootstrapServersOf(config['bootstrap.servers'] ?? config['metadata.broker.list']),
  };
}

/**
 * Connects (metadata fetch) within `timeoutMs`. While connecting nothing polls, so `event.error`
 * waits: a refused password or a fatal error shows up only in the log (recorded), and ends the wait
 * at once with a {@link DefinitiveConnectFailure}; so does every `bootstrap` server refusing the
 * connection or having no such name for a second (see bootstrap-failures.ts). `progress` hears the
 * log's other error lines ("Connect to … failed: Connection refused"): why it is not connected yet.
 *
 * @example
 * ```ts
 * await connectClient(client, 10_000, (reason) => (lastReason = reason), ['b-1:9092']);
 * ```
 */
export function connectClient(
  client: NativeProducer,
  timeoutMs: number,
  progress: (reason: string) => void,
  bootstrap: readonly string[] = [],
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let grace: NodeJS.Timeout | undefined;
    const failures = new BootstrapFailures(bootstrap);
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(grace);
      error ? reject(error) : resolve();
    };
    client.on('event.log', (log) => {
      if (done) return;
      const health = classifyClientLog(log);
      if (health?.kind === 'refused' || health?.kind === 'fatal')
        finish(new DefinitiveConnectFailure(health.reason));
      else if (health) progress(health.reason);
      if (failures.heard(log.message) && failures.allFailed && !grace) {
        grace = setTimeout(
          () => finish(new BootstrapUnreachable(failures.definitiveReason())),
          DEFINITIVE_GRACE_MS,
        );
        grace.unref?.();
      }
    });
    client.connect({ timeout: timeoutMs }, (error) => finish(error ? asError(error) : undefined));
  });
}
