import { ConfigError } from '../shared/errors.js';
import type {
  KafkaConfigSource,
  LibrdkafkaConfig,
  SchemaRegistrySettings,
  SchemaRegistrySettingsSource,
} from './config-source.js';
import { Credentials } from './credentials.js';

/**
 * The one call made to Secrets Manager; `@aws-sdk/client-secrets-manager`'s client fits. `abortSignal`
 * (AWS SDK v3's per-call option) ends a read that takes longer than `readTimeoutMs`.
 */
export interface SecretsManagerLike {
  send(
    command: unknown,
    options?: { abortSignal?: AbortSignal },
  ): Promise<{ SecretString?: string; SecretBinary?: Uint8Array }>;
}

/** Default bound on one read of the secret (connect, TLS, answer). */
export const DEFAULT_SECRET_READ_TIMEOUT_MS = 5_000;

/** Options of {@link secretsConfig}. */
export interface SecretsConfigOptions {
  /** Name or ARN of a JSON secret. */
  secretId: string;
  /** Defaults to the SDK's (AWS_REGION in Lambda). */
  region?: string;
  /** Read the secret again after this long. Default: never, except after an authentication failure. */
  ttlSeconds?: number;
  /** A client of your own (e.g. with custom retries or credentials). */
  client?: SecretsManagerLike;
  /** librdkafka properties set in code; they win over the secret's. */
  kafka?: LibrdkafkaConfig;
  /**
   * How long one read may take before it fails with a {@link SecretReadError} (and is forgotten, so
   * the next call reads again). Default 5 s: a socket that accepts and never answers cannot hang an
   * invocation, nor every later one through the cache.
   */
  readTimeoutMs?: number;
}

/** Reading the secret failed. Names the secret and the AWS error, never the secret's value. */
export class SecretReadError extends ConfigError {
  override name = 'SecretReadError';
}

/**
 * Kafka and Schema Registry credentials from one AWS Secrets Manager secret, read once per container:
 * concurrent callers share one request, and the value is kept until `ttlSeconds` pass or a broker or
 * registry refuses it (then {@link SecretsConfig.invalidate} makes the next call read it again).
 *
 * The secret is a JSON object. The ESM's own BASIC_AUTH secret (`username`, `password`) works as is;
 * add `bootstrap.servers` and, for a registry, `schema.registry.url` and `basic.auth.user.info`
 * (`key:secret`). Any other librdkafka property in it passes through. See docs/secrets.md.
 *
 * @example
 * ```ts
 * const config = secretsConfig({ secretId: process.env.KAFKA_SECRET_ID! });
 * export const handler = createKafkaHandler({ producer: kafkaProducer(config), process: (record, { produce }) => {
 *   produce({ topic: 'copies', key: record.key, value: record.rawValue });
 * } });
 * ```
 */
export function secretsConfig(options: SecretsConfigOptions): SecretsConfig {
  return new SecretsConfig(options);
}

export class SecretsConfig implements KafkaConfigSource, SchemaRegistrySettingsSource {
  readonly #options: SecretsConfigOptions;
  #cached: Promise<Credentials> | undefined;
  #readAt = 0;

  constructor(options: SecretsConfigOptions) {
    if (!options?.secretId) throw new ConfigError('secretsConfig needs a `secretId`');
    this.#options = options;
  }

  async kafkaConfig(): Promise<LibrdkafkaConfig> {
    return this.#use((credentials) => credentials.kafkaConfig(this.#options.kafka));
  }

  async schemaRegistrySettings(): Promise<SchemaRegistrySettings> {
    return this.#use((credentials) => credentials.schemaRegistrySettings());
  }

  /** A secret missing a key (or holding a wrong type) may be fixed any time: forget it, read it again next call. */
  async #use<T>(map: (credentials: Credentials) => T): Promise<T> {
    const reading = this.#credentials();
    const credentials = await reading;
    try {
      return map(credentials);
    } catch (error) {
      if (this.#cached === reading) this.invalidate();
      throw error;
    }
  }

  /** `secret "<id>"`: names the source in errors, never its value. */
  describe(): string {
    return `secret "${this.#options.secretId}"`;
  }

  /** Forget the cached secret: the next call reads it again (e.g. after a rotation). */
  invalidate(): void {
    this.#cached = undefined;
  }

  #credentials(): Promise<Credentials> {
    const ttlMs = (this.#options.ttlSeconds ?? Number.POSITIVE_INFINITY) * 1_000;
    if (this.#cached && Date.now() - this.#readAt < ttlMs) return this.#cached;
    this.#readAt = Date.now();
    const reading = this.#read();
    this.#cached = reading;
    // A failed read is not cached: the next invocation tries again.
    reading.catch(() => {
      if (this.#cached === reading) this.#cached = undefined;
    });
    return reading;
  }

  async #read(): Promise<Credentials> {
    const { secretId } = this.#options;
    const origin = `secret "${secretId}"`;
    const timeoutMs = this.#options.readTimeoutMs ?? DEFAULT_SECRET_READ_TIMEOUT_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let response: Awaited<ReturnType<SecretsManagerLike['send']>>;
    try {
      const { client, command } = await this.#request();
      // The SDK aborts its request on the signal; the race also bounds a client that ignores it.
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = Object.assign(new Error(`no answer within ${timeoutMs} ms`), {
            name: 'TimeoutError',
          });
          controller.abort(error);
          reject(error);
        }, timeoutMs);
      });
      response = await Promise.race([client.send(command, { abortSignal: controller.signal }), timedOut]);
    } catch (error) {
      const name = (error as { name?: string })?.name ?? 'Error';
      const detail = controller.signal.aborted ? ` (no answer within ${timeoutMs} ms)` : '';
      throw new SecretReadError(`cannot read ${origin}: ${name}${detail}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    const text =
      response.SecretString ?? (response.SecretBinary && Buffer.from(response.SecretBinary).toString('utf8'));
    if (!text) throw new ConfigError(`${origin} has no value`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parser's message may quote part of the text: don't pass it on.
      throw new ConfigError(`${origin} is not valid JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`${origin} must hold a JSON object`);
    }
    return new Credentials(parsed as Record<string, unknown>, origin);
  }

  async #request(): Promise<{ client: SecretsManagerLike; command: unknown }> {
    // Imported on first use: functions that never read a secret don't load the SDK.
    const sdk = await import('@aws-sdk/client-secrets-manager');
    const client = this.#options.client ?? sharedClient(sdk, this.#options.region);
    return { client, command: new sdk.GetSecretValueCommand({ SecretId: this.#options.secretId }) };
  }
}

const clients = new Map<string, SecretsManagerLike>();

function sharedClient(
  sdk: typeof import('@aws-sdk/client-secrets-manager'),
  region: string | undefined,
): SecretsManagerLike {
  const key = region ?? '';
  let client = clients.get(key);
  if (!client) clients.set(key, (client = new sdk.SecretsManagerClient(region ? { region } : {})));
  return client;
}
