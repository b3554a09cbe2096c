// Apache Kafka, one KRaft node acting as broker and controller, from Maven Central jars.
// Listeners: PLAINTEXT (tests), SASL_PLAINTEXT/PLAIN (credential paths), CONTROLLER (KRaft).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { host, ports, runDir, saslUser, stackHome } from './env.mjs';
import { cachedInstall, cacheKey, installDir, isInstalled, jvmTuning, requireJava, run } from './install.mjs';
import { copyDependencies } from './maven.mjs';
import { readLogSince, spawnDetached, tcpOpen } from './process.mjs';
import { ensureService, logFileOf, serviceState, stopService } from './service.mjs';
import { versions } from './versions.mjs';

const deps = [
  { groupId: 'org.apache.kafka', artifactId: `kafka_${versions.scala}`, version: versions.kafka },
  // kafka-tools: TopicCommand & co, used by `stack.mjs verify` and handy for debugging.
  { groupId: 'org.apache.kafka', artifactId: 'kafka-tools', version: versions.kafka },
  { groupId: 'org.slf4j', artifactId: 'slf4j-api', version: versions.slf4j },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j2-impl', version: versions.log4j },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: versions.log4j },
];
const key = cacheKey(`kafka-${versions.kafka}`, deps);
const dataDir = path.join(runDir, 'kafka', 'data');
const propsFile = path.join(runDir, 'kafka', 'server.properties');

export const kafkaService = {
  name: 'kafka',
  ports: [ports.kafka, ports.kafkaSasl, ports.kafkaController],
  endpoint: `PLAINTEXT ${host}:${ports.kafka}, SASL_PLAINTEXT(PLAIN) ${host}:${ports.kafkaSasl}`,
  timeoutMs: 60_000,
  stopGraceMs: 20_000, // a clean shutdown writes the checkpoint; restarts keep data fast
  // The port alone opens before the broker serves requests; the log line marks the end of startup.
  async ready({ logOffset }) {
    if (!(await tcpOpen(ports.kafka))) return false;
    return /Kafka Server started|\[KafkaRaftServer nodeId=\d+\] Kafka Server started/.test(
      readLogSince(logFileOf(kafkaService), logOffset),
    );
  },
};

export const kafkaInstalled = () => isInstalled('kafka', key);
export const kafkaLibs = () => path.join(installDir('kafka', key), 'libs');

export async function installKafka(opts) {
  requireJava();
  return cachedInstall('kafka', key, (dir, log) => copyDependencies(deps, path.join(dir, 'libs'), log), opts);
}

/** The broker's configuration; `overrides` (e.g. connections.max.idle.ms) win. */
export function serverProperties(overrides = {}) {
  const jaas =
    'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
    `username="${saslUser.username}" password="${saslUser.password}" user_${saslUser.username}="${saslUser.password}";`;
  const props = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@${host}:${ports.kafkaController}`,
    listeners: `PLAINTEXT://${host}:${ports.kafka},SASL_PLAINTEXT://${host}:${ports.kafkaSasl},CONTROLLER://${host}:${ports.kafkaController}`,
    'advertised.listeners': `PLAINTEXT://${host}:${ports.kafka},SASL_PLAINTEXT://${host}:${ports.kafkaSasl}`,
    'listener.security.protocol.map':
      'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': jaas,
    'log.dirs': dataDir,
    // Topics are created explicitly by tests, as in production.
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'default.replication.factor': '1',
    'min.insync.replicas': '1',
    // Single node: internal topics must fit on one broker; one partition each starts faster.
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'delete.topic.enable': 'true',
    ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, String(v)])),
  };
  return (
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}

/** Broker logging: to stdout (the log file), without the per-request and state-change chatter. */
export const log4j2 = `status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
`;

function java(args, extraJvm = []) {
  const cfg = path.join(runDir, 'kafka', 'log4j2.properties');
  fs.writeFileSync(cfg, log4j2);
  return [
    '-Xms256m',
    '-Xmx512m',
    ...jvmTuning(),
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${cfg}`,
    ...extraJvm,
    '-cp',
    `${kafkaLibs()}/*`,
    ...args,
  ];
}

/** Format the data dir for KRaft (first start of a fresh broker). */
async function format() {
  let id;
  do id = crypto.randomBytes(16).toString('base64url');
  while (id.startsWith('-')); // Kafka's CLI parses a leading '-' as an option
  const logFile = logFileOf(kafkaService);
  await run(requireJava(), java(['kafka.tools.StorageTool', 'format', '-t', id, '-c', propsFile]), {
    logFile,
  });
}

const isFormatted = () => fs.existsSync(path.join(dataDir, 'meta.properties'));

function writeProps(overrides) {
  fs.mkdirSync(path.dirname(propsFile), { recursive: true });
  fs.writeFileSync(propsFile, serverProperties(overrides));
}

function spawnBroker() {
  return spawnDetached(requireJava(), java(['kafka.Kafka', propsFile]), {
    cwd: path.join(runDir, 'kafka'),
    env: process.env,
    logFile: logFileOf(kafkaService),
  }).then((r) => ({ ...r, marker: stackHome }));
}

/**
 * `up`: reuse a running broker, else start a FRESH one (data wiped, newly formatted).
 */
export async function upKafka({ quiet } = {}) {
  await installKafka({ quiet });
  return ensureService(kafkaService, {
    beforeStart: async () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      writeProps({});
      await format();
    },
    start: spawnBroker,
  });
}

/** Stop the broker (SIGTERM, clean shutdown); data is kept for startKafka(). */
export async function stopKafka() {
  return stopService(kafkaService);
}

/**
 * Start the broker keeping its data (restart after stopKafka()), e.g. for fault injection.
 * `properties` overrides server.properties for this run (e.g. { 'connections.max.idle.ms': 5000 });
 * `fresh: true` wipes the data first. Stops a running broker of ours first when asked to
 * change its properties or data.
 */
export async function startKafka({ properties = {}, fresh = false, quiet = true } = {}) {
  await installKafka({ quiet });
  const changing = fresh || Object.keys(properties).length > 0;
  if (changing && (await serviceState(kafkaService)).state !== 'stopped') await stopKafka();
  return ensureService(kafkaService, {
    beforeStart: async () => {
      if (fresh) fs.rmSync(dataDir, { recursive: true, force: true });
      writeProps(properties);
      if (!isFormatted()) await format();
    },
    start: spawnBroker,
  });
}

/** Stop then start keeping data; same options as startKafka. */
export async function restartKafka(opts = {}) {
  await stopKafka();
  return startKafka(opts);
}

/** Run a Kafka CLI class (e.g. org.apache.kafka.tools.TopicCommand) against the local broker. */
export async function kafkaTool(mainClass, args, { logFile = path.join(runDir, 'kafka', 'tools.log') } = {}) {
  return run(requireJava(), java([mainClass, ...args], ['-Xmx256m']), { logFile });
}
