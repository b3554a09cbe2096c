// Types for index.mjs (the test-facing helpers).
// env.mjs itself ships no .d.mts: test/setup/stack.ts imports it under @ts-expect-error.
export interface StackEnv {
  KAFKA_BROKERS: string;
  KAFKA_SASL_BROKERS: string;
  KAFKA_SASL_MECHANISM: string;
  KAFKA_SASL_USERNAME: string;
  KAFKA_SASL_PASSWORD: string;
  SCHEMA_REGISTRY_URL: string;
  AWS_ENDPOINT_URL_SECRETS_MANAGER: string;
  AWS_REGION: string;
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_LAMBDA_RIE_BIN: string;
  KAFKA_PORT: string;
  KAFKA_SASL_PORT: string;
  KAFKA_CONTROLLER_PORT: string;
  SCHEMA_REGISTRY_PORT: string;
  SECRETS_MANAGER_PORT: string;
  /** moto's endpoint, which also serves DynamoDB. */
  AWS_ENDPOINT_URL_DYNAMODB: string;
  REDIS_URL: string;
  REDIS_PORT: string;
  KAFKA_LAMBDA_STACK_HOME: string;
}
export declare const stackEnv: Readonly<StackEnv>;
export declare const stackHome: string;
export declare const ports: Readonly<{
  kafka: number;
  kafkaSasl: number;
  kafkaController: number;
  registry: number;
  secrets: number;
  redis: number;
}>;
export declare function envExports(env?: Record<string, string>): string;
/** The parts `ensureStack` and `stack.mjs up` can start (the RIE is installed, not started). */
export type StackPart = 'kafka' | 'registry' | 'secrets' | 'redis' | 'jaeger' | 'rie';
export declare function ensureStack(opts?: {
  quiet?: boolean;
  applyEnv?: boolean;
  /** default: every part */
  parts?: StackPart[];
}): Promise<Readonly<StackEnv>>;

export interface ServiceStart {
  pid: number;
  reused: boolean;
}
export interface StartKafkaOptions {
  /** server.properties overrides for this run, e.g. { 'connections.max.idle.ms': 5000 } */
  properties?: Record<string, string | number | boolean>;
  /** wipe the data dir first (default false: a restart keeps topics and offsets) */
  fresh?: boolean;
  quiet?: boolean;
}
export declare function startKafka(opts?: StartKafkaOptions): Promise<ServiceStart>;
export declare function stopKafka(): Promise<number | null>;
export declare function restartKafka(opts?: StartKafkaOptions): Promise<ServiceStart>;
export declare function serverProperties(overrides?: Record<string, string | number | boolean>): string;
export declare function kafkaTool(
  mainClass: string,
  args: string[],
  opts?: { logFile?: string },
): Promise<void>;

export interface RieOptions {
  handlerDir: string;
  /** default 'index.handler' */
  handler?: string;
  /** invoke port; default: a free port */
  port?: number;
  /** function environment */
  env?: Record<string, string>;
  /** AWS_LAMBDA_FUNCTION_TIMEOUT, default 60 */
  timeoutSeconds?: number;
  /** SIGSTOP the runtime between invocations, as Lambda freezes it */
  freeze?: boolean;
  logFile?: string;
}
export interface RieInvokeResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** 'Unhandled' when the function failed */
  functionError?: string;
  json?: unknown;
}
export interface Rie {
  url: string;
  port: number;
  pid: number;
  logFile: string;
  kind: 'aws-lambda-rie';
  invoke(event?: unknown, opts?: { timeoutMs?: number }): Promise<RieInvokeResult>;
  stop(): Promise<void>;
}
export declare function startRie(opts: RieOptions): Promise<Rie>;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  body_encoded: boolean;
}
export declare function resetSecrets(): Promise<void>;
export declare function recordedRequests(): Promise<RecordedRequest[]>;
export declare function countSecretsCalls(action: string): Promise<number>;

export interface IsolatedKafkaOptions {
  /** Names the run dir <home>/run/isolated-kafka/<name>/ (data, log, pid file). Default 'isolated'. */
  name?: string;
  /** PLAINTEXT port, default 19092. */
  port?: number;
  /** KRaft controller port, default 19093. */
  controllerPort?: number;
  /** server.properties overrides, e.g. { 'connections.max.idle.ms': 3000 }. */
  properties?: Record<string, string | number | boolean>;
  /** Readiness timeout for each start, default 90 s. */
  timeoutMs?: number;
}
/** A dedicated broker for fault injection; never the shared one. */
export interface IsolatedKafka {
  readonly name: string;
  /** bootstrap.servers, e.g. 127.0.0.1:19092 */
  readonly brokers: string;
  readonly port: number;
  readonly logFile: string;
  readonly dataDir: string;
  /** The JVM's pid while it runs. */
  readonly pid: number | undefined;
  isRunning(): boolean;
  /** Start again on the same data (after stop or kill); no-op while running. */
  start(): Promise<void>;
  /** Clean shutdown (SIGCONT first if paused, SIGTERM, SIGKILL after graceMs). */
  stop(opts?: { graceMs?: number }): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  restart(opts?: { graceMs?: number }): Promise<void>;
  /** SIGSTOP the broker: it keeps its sockets but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}
export declare function startIsolatedKafka(opts?: IsolatedKafkaOptions): Promise<IsolatedKafka>;

/** A redis-server of its own (never the shared one), for fault injection. */
export interface IsolatedRedis {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Start again (no-op while running). */
  start(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s); the data is in memory only, so a restart starts empty. */
  stop(): Promise<void>;
}
/** Starts (or reuses) a redis-server on `port`, default 16390. */
export declare function startIsolatedRedis(opts?: {
  port?: number;
  timeoutMs?: number;
  /** More redis-server arguments, e.g. ['--cluster-enabled', 'yes']. */
  args?: string[];
}): Promise<IsolatedRedis>;
