// `@kafka-lambda/core/config`: where the Kafka and registry settings come from (environment, AWS
// Secrets Manager, MSK IAM), for `kafkaProducer(config)` and the registry serdes.

export type {
  KafkaConfigSource,
  LibrdkafkaConfig,
  OAuthBearerToken,
  OAuthBearerTokenRefresh,
  SchemaRegistrySettings,
  SchemaRegistrySettingsSource,
} from '../config/config-source.js';
export { ENV_CONFIG_VARIABLES, envConfig } from '../config/env-config.js';
export { type MskIamConfigOptions, type MskIamTokenSigner, mskIamConfig } from '../config/msk-iam-config.js';
export {
  SecretReadError,
  SecretsConfig,
  type SecretsConfigOptions,
  type SecretsManagerLike,
  secretsConfig,
} from '../config/secrets-config.js';
