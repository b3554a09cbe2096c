// The one place that names the stack's ports, endpoints, credentials and paths.
// Every value can be overridden by the environment variable of the same name.
import os from 'node:os';
import path from 'node:path';

const e = process.env;
const int = (name, dflt) => {
  const v = e[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name} must be a TCP port, got "${v}"`);
  return n;
};

export const host = '127.0.0.1';

export const ports = Object.freeze({
  kafka: int('KAFKA_PORT', 9092),
  kafkaSasl: int('KAFKA_SASL_PORT', 9094),
  kafkaController: int('KAFKA_CONTROLLER_PORT', 9093),
  registry: int('SCHEMA_REGISTRY_PORT', 8081),
  secrets: int('SECRETS_MANAGER_PORT', 5050),
  redis: int('REDIS_PORT', 6379),
  jaegerOtlpGrpc: int('JAEGER_OTLP_GRPC_PORT', 4317),
  jaegerOtlpHttp: int('JAEGER_OTLP_HTTP_PORT', 4318),
  jaegerQuery: int('JAEGER_QUERY_PORT', 16686),
  jaegerQueryGrpc: int('JAEGER_QUERY_GRPC_PORT', 16685),
  jaegerHealth: int('JAEGER_HEALTH_PORT', 13133),
});

// Which env var moves which port: used in "port taken" errors.
export const portEnvNames = Object.freeze({
  [ports.kafka]: 'KAFKA_PORT',
  [ports.kafkaSasl]: 'KAFKA_SASL_PORT',
  [ports.kafkaController]: 'KAFKA_CONTROLLER_PORT',
  [ports.registry]: 'SCHEMA_REGISTRY_PORT',
  [ports.secrets]: 'SECRETS_MANAGER_PORT',
  [ports.redis]: 'REDIS_PORT',
  [ports.jaegerOtlpGrpc]: 'JAEGER_OTLP_GRPC_PORT',
  [ports.jaegerOtlpHttp]: 'JAEGER_OTLP_HTTP_PORT',
  [ports.jaegerQuery]: 'JAEGER_QUERY_PORT',
  [ports.jaegerQueryGrpc]: 'JAEGER_QUERY_GRPC_PORT',
  [ports.jaegerHealth]: 'JAEGER_HEALTH_PORT',
});

/** Cache (installs, keyed by version) and runtime state (pids, logs, data) live outside the repo. */
export const stackHome = path.resolve(
  e.KAFKA_LAMBDA_STACK_HOME || path.join(os.homedir(), '.cache', 'kafka-lambda', 'stack'),
);
export const runDir = path.join(stackHome, 'run');

export const saslUser = Object.freeze({
  username: e.KAFKA_SASL_USERNAME || 'kafka-lambda',
  password: e.KAFKA_SASL_PASSWORD || 'kafka-lambda-secret',
});

/** The RIE binary path; filled in by rie.mjs once installed (or from the env). */
export function rieBinPath() {
  return e.AWS_LAMBDA_RIE_BIN || path.join(stackHome, 'rie', 'bin', 'aws-lambda-rie');
}

/** Endpoints the SDK's tests, examples and CI read. Plain strings, ready for process.env. */
export const stackEnv = Object.freeze({
  KAFKA_BROKERS: e.KAFKA_BROKERS || `${host}:${ports.kafka}`,
  KAFKA_SASL_BROKERS: e.KAFKA_SASL_BROKERS || `${host}:${ports.kafkaSasl}`,
  KAFKA_SASL_MECHANISM: e.KAFKA_SASL_MECHANISM || 'PLAIN',
  KAFKA_SASL_USERNAME: saslUser.username,
  KAFKA_SASL_PASSWORD: saslUser.password,
  SCHEMA_REGISTRY_URL: e.SCHEMA_REGISTRY_URL || `http://${host}:${ports.registry}/apis/ccompat/v7`,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: e.AWS_ENDPOINT_URL_SECRETS_MANAGER || `http://${host}:${ports.secrets}`,
  // moto serves DynamoDB on the same port (the idempotency store's tests).
  AWS_ENDPOINT_URL_DYNAMODB: e.AWS_ENDPOINT_URL_DYNAMODB || `http://${host}:${ports.secrets}`,
  REDIS_URL: e.REDIS_URL || `redis://${host}:${ports.redis}`,
  AWS_REGION: e.AWS_REGION || 'us-east-1',
  AWS_ACCESS_KEY_ID: e.AWS_ACCESS_KEY_ID || 'test',
  AWS_SECRET_ACCESS_KEY: e.AWS_SECRET_ACCESS_KEY || 'test',
  AWS_LAMBDA_RIE_BIN: rieBinPath(),
  JAEGER_QUERY_URL: e.JAEGER_QUERY_URL || `http://${host}:${ports.jaegerQuery}`,
  JAEGER_OTLP_HTTP_URL: e.JAEGER_OTLP_HTTP_URL || `http://${host}:${ports.jaegerOtlpHttp}`,
  KAFKA_PORT: String(ports.kafka),
  KAFKA_SASL_PORT: String(ports.kafkaSasl),
  KAFKA_CONTROLLER_PORT: String(ports.kafkaController),
  SCHEMA_REGISTRY_PORT: String(ports.registry),
  SECRETS_MANAGER_PORT: String(ports.secrets),
  REDIS_PORT: String(ports.redis),
  KAFKA_LAMBDA_STACK_HOME: stackHome,
});

/** The variables `envConfig()` of @kafka-lambda/core turns into SASL settings. */
const SASL_CLIENT_VARIABLES = ['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'];

/**
 * What a shell gets from `stack.mjs env`: a consistent pair for `envConfig()`, which speaks SASL as soon
 * as `KAFKA_SASL_USERNAME` is set. `plaintext` (the default): `KAFKA_BROKERS` is the PLAINTEXT listener
 * and no SASL client variable is set. `sasl`: `KAFKA_BROKERS` is the SASL_PLAINTEXT listener, with its
 * mechanism, user and `KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT`. Both keep `KAFKA_SASL_BROKERS` and the
 * other endpoints.
 */
export function shellEnv(listener = 'plaintext', env = stackEnv) {
  if (listener !== 'plaintext' && listener !== 'sasl') throw new Error(`unknown listener "${listener}"`);
  if (listener === 'sasl')
    return { ...env, KAFKA_BROKERS: env.KAFKA_SASL_BROKERS, KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT' };
  const plain = Object.fromEntries(Object.entries(env).filter(([k]) => !SASL_CLIENT_VARIABLES.includes(k)));
  // A shell that evaluated `env --sasl` before has KAFKA_BROKERS on the SASL listener: not for PLAINTEXT.
  if (plain.KAFKA_BROKERS === env.KAFKA_SASL_BROKERS) plain.KAFKA_BROKERS = `${host}:${ports.kafka}`;
  return plain;
}

/** `export KEY='value'` lines for `eval "$(node scripts/stack/stack.mjs env [--sasl])"`. */
export function envExports(env = shellEnv()) {
  // Left over from an earlier `env --sasl` in the same shell, they would turn envConfig() to SASL.
  const unset = [...SASL_CLIENT_VARIABLES, 'KAFKA_SECURITY_PROTOCOL'].filter((k) => !(k in env));
  return [
    unset.length > 0 ? `unset ${unset.join(' ')}` : [],
    ...Object.entries(env).map(([k, v]) => `export ${k}='${String(v).replaceAll("'", `'\\''`)}'`),
  ]
    .flat()
    .join('\n');
}
