/** What librdkafka returns to the client when it asks for a fresh OAUTHBEARER token. */
export interface OAuthBearerToken {
  tokenValue: string;
  /** Expiry, epoch milliseconds. */
  lifetime: number;
  principal: string;
  extensions?: Record<string, string>;
}

/** `oauthbearer_token_refresh_cb` of `@confluentinc/kafka-javascript`, in its promise form. */
export type OAuthBearerTokenRefresh = (oauthbearerConfig: string) => Promise<OAuthBearerToken>;

/**
 * librdkafka properties, names passed through unchanged (`bootstrap.servers`, `sasl.username`, …),
 * plus the client's one callback property, `oauthbearer_token_refresh_cb`.
 */
export type LibrdkafkaConfig = Record<string, string | number | boolean | OAuthBearerTokenRefresh>;

/** Anything that can produce Kafka client properties, possibly after I/O (e.g. reading a secret). */
export interface KafkaConfigSource {
  kafkaConfig(): Promise<LibrdkafkaConfig>;
  /** Forget cached credentials, e.g. after the broker rejected them; the next call reads them again. */
  invalidate?(): void;
  /** Where the config comes from, for error messages (e.g. `secret "kafka/prod"`); never a value. */
  describe?(): string;
}

/** How to reach a Schema Registry. */
export interface SchemaRegistrySettings {
  /** Base URL, e.g. `https://psrc-xxxx.us-east-2.aws.confluent.cloud` or `http://localhost:8081/apis/ccompat/v7`. */
  readonly url: string;
  /** Basic auth as `key:secret` (Confluent Cloud API key and secret). */
  readonly basicAuth?: string | undefined;
  readonly bearerToken?: string | undefined;
}

/** Anything that can produce Schema Registry settings, possibly after I/O. */
export interface SchemaRegistrySettingsSource {
  schemaRegistrySettings(): Promise<SchemaRegistrySettings>;
  /** Forget cached credentials, e.g. after the registry answered 401. */
  invalidate?(): void;
}
