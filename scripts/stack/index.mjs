// What tests and harnesses import: endpoints, ensureStack, and fault-injection helpers.
export { ensureStack } from './control.mjs';
export { envExports, ports, stackEnv, stackHome } from './env.mjs';
export { startIsolatedKafka } from './isolated-kafka.mjs';
export { kafkaTool, restartKafka, serverProperties, startKafka, stopKafka } from './kafka.mjs';
export { startIsolatedRedis } from './redis.mjs';
export { startRie } from './rie.mjs';
export { countSecretsCalls, recordedRequests, resetSecrets } from './secrets.mjs';
