import { closestName } from '../shared/closest-name.js';
import { ConfigError } from '../shared/errors.js';
import type { LibrdkafkaConfig, SchemaRegistrySettings } from './config-source.js';

/** Names accepted for each setting, librdkafka's first. The others match AWS's ESM secrets and common conventions. */
const ALIASES = {
  'bootstrap.servers': ['bootstrap.servers', 'bootstrapServers', 'bootstrap_servers', 'brokers'],
  'security.protocol': ['security.protocol', 'securityProtocol'],
  'sasl.mechanisms': ['sasl.mechanisms', 'sasl.mechanism', 'saslMechanism', 'mechanism'],
  'sasl.username': ['sasl.username', 'username'],
  'sasl.password': ['sasl.password', 'password'],
  'schema.registry.url': ['schema.registry.url', 'schemaRegistryUrl'],
  'basic.auth.user.info': [
    'basic.auth.user.info',
    'schema.registry.basic.auth.user.info',
    'schemaRegistryBasicAuth',
  ],
  'schema.registry.key': ['schemaRegistryKey', 'schemaRegistryApiKey'],
  'schema.registry.secret': ['schemaRegistrySecret', 'schemaRegistryApiSecret'],
  'bearer.auth.token': ['bearer.auth.token', 'schemaRegistryBearerToken'],
} as const;

type Setting = keyof typeof ALIASES;
const KNOWN_NAMES = new Set<string>(Object.values(ALIASES).flat());
/** Registry settings live in the same secret but must never reach librdkafka, which rejects unknown properties. */
const REGISTRY_PREFIXES = ['schema.registry.', 'basic.auth.', 'bearer.auth.'];

/**
 * Credentials read from one place (a secret, the environment), mapped to Kafka client properties and
 * Schema Registry settings. Error messages name keys only, never values.
 */
export class Credentials {
  readonly #values: Readonly<Record<string, unknown>>;
  readonly #origin: string;
  readonly #nameOf: (setting: string) => string | undefined;

  /**
   * `nameOf` names where a setting comes from in this origin (an environment variable), for the
   * error when it is missing; without it, the error lists the key names a secret may use.
   */
  constructor(
    values: Readonly<Record<string, unknown>>,
    origin: string,
    nameOf: (setting: string) => string | undefined = () => undefined,
  ) {
    this.#values = values;
    this.#origin = origin;
    this.#nameOf = nameOf;
  }

  /** librdkafka properties; `overrides` (from code) win over the source's values. */
  kafkaConfig(overrides: LibrdkafkaConfig = {}): LibrdkafkaConfig {
    const config: LibrdkafkaConfig = {};
    // Any other librdkafka property in the source passes through unchanged (e.g. ssl.ca.location).
    for (const [name, value] of Object.entries(this.#values)) {
      if (KNOWN_NAMES.has(name) || !name.includes('.') || REGISTRY_PREFIXES.some((p) => name.startsWith(p)))
        continue;
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        config[name] = value;
    }
    const servers = this.#get('bootstrap.servers');
    if (servers !== undefined) config['bootstrap.servers'] = servers;
    else if (overrides['bootstrap.servers'] === undefined) throw this.#missing('bootstrap.servers');
    const username = this.#get('sasl.username');
    if (username !== undefined) {
      const password = this.#get('sasl.password');
      if (password === undefined) throw this.#missing('sasl.password');
      config['sasl.username'] = username;
      config['sasl.password'] = password;
      config['sasl.mechanisms'] = this.#get('sasl.mechanisms') ?? 'PLAIN';
      config['security.protocol'] = this.#get('security.protocol') ?? 'SASL_SSL';
    } else {
      const protocol = this.#get('security.protocol');
      const mechanism = this.#get('sasl.mechanisms');
      if (protocol !== undefined) config['security.protocol'] = protocol;
      if (mechanism !== undefined) config['sasl.mechanisms'] = mechanism;
    }
    // What the code says explicitly wins over what the source holds.
    return { ...config, ...overrides };
  }

  schemaRegistrySettings(): SchemaRegistrySettings {
    const url = this.#get('schema.registry.url');
    if (url === undefined) throw this.#missing('schema.registry.url');
    const key = this.#get('schema.registry.key');
    const secret = this.#get('schema.registry.secret');
    if ((key === undefined) !== (secret === undefined)) {
      throw this.#missing(key === undefined ? 'schema.registry.key' : 'schema.registry.secret');
    }
    const basicAuth =
      this.#get('basic.auth.user.info') ?? (key !== undefined ? `${key}:${secret}` : undefined);
    return { url, basicAuth, bearerToken: this.#get('bearer.auth.token') };
  }

  #get(setting: Setting): string | undefined {
    for (const name of ALIASES[setting]) {
      const value = this.#values[name];
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new ConfigError(`${this.#origin}: "${name}" must be a string`);
      }
      return String(value);
    }
    return undefined;
  }

  #missing(setting: Setting): ConfigError {
    const own = this.#nameOf(setting);
    if (own !== undefined) return new ConfigError(`${this.#origin} has no ${own}`);
    const names = ALIASES[setting].map((name) => `"${name}"`).join(' or ');
    return new ConfigError(`${this.#origin} has no ${names}${this.#typoOf(setting)}`);
  }

  /** A key of the source that is a near miss of one of the setting's names (`pasword`): named, its value never. */
  #typoOf(setting: Setting): string {
    for (const key of Object.keys(this.#values)) {
      if (KNOWN_NAMES.has(key)) continue;
      const near = closestName(key, ALIASES[setting]);
      if (near !== undefined) return ` (it has "${key}": did you mean "${near}"?)`;
    }
    return '';
  }
}
