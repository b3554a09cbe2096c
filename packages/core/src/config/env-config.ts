import type {
  KafkaConfigSource,
  LibrdkafkaConfig,
  SchemaRegistrySettings,
  SchemaRegistrySettingsSource,
} from './config-source.js';
import { Credentials } from './credentials.js';

/** Environment variables read by {@link envConfig}, and the setting each fills. */
export const ENV_CONFIG_VARIABLES = {
  KAFKA_BROKERS: 'bootstrap.servers',
  KAFKA_SECURITY_PROTOCOL: 'security.protocol',
  KAFKA_SASL_MECHANISM: 'sasl.mechanisms',
  KAFKA_SASL_USERNAME: 'sasl.username',
  KAFKA_SASL_PASSWORD: 'sasl.password',
  SCHEMA_REGISTRY_URL: 'schema.registry.url',
  SCHEMA_REGISTRY_BASIC_AUTH: 'basic.auth.user.info',
} as const;

const VARIABLE_OF: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ENV_CONFIG_VARIABLES).map(([variable, setting]) => [setting, variable]),
);

/**
 * The same settings as {@link secretsConfig}, from environment variables: for local runs and tests.
 * Without SASL variables the connection is PLAINTEXT.
 *
 * @example
 * ```ts
 * // KAFKA_BROKERS=localhost:9092 SCHEMA_REGISTRY_URL=http://localhost:8081
 * const config = process.env.KAFKA_SECRET_ID ? secretsConfig({ secretId: process.env.KAFKA_SECRET_ID }) : envConfig();
 * ```
 */
export function envConfig(
  options: { env?: NodeJS.ProcessEnv; kafka?: LibrdkafkaConfig } = {},
): KafkaConfigSource & SchemaRegistrySettingsSource {
  const env = options.env ?? process.env;
  const credentials = () => {
    const values: Record<string, string> = {};
    for (const [variable, setting] of Object.entries(ENV_CONFIG_VARIABLES)) {
      const value = env[variable];
      if (value) values[setting] = value;
    }
    if (values['sasl.username'] && !env.KAFKA_SECURITY_PROTOCOL)
      values['security.protocol'] = 'SASL_PLAINTEXT';
    return new Credentials(values, 'the environment', (setting) => VARIABLE_OF[setting]);
  };
  return {
    kafkaConfig: async (): Promise<LibrdkafkaConfig> => credentials().kafkaConfig(options.kafka),
    schemaRegistrySettings: async (): Promise<SchemaRegistrySettings> =>
      credentials().schemaRegistrySettings(),
  };
}
