// A dedicated broker that authenticates clients with SCRAM-SHA-256 and authorizes them with ACLs, for
// the producer's credential and authorization paths (rotation, refused users, denied topics). Users
// and ACLs change live through Kafka's own CLI tools, as an operator rotating a secret would do.
// One SASL_PLAINTEXT listener: the broker talks to itself with PLAIN as `admin` (a super user).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startIsolatedKafka } from '../../scripts/stack/index.mjs';
import { jvmTuning, requireJava, run } from '../../scripts/stack/install.mjs';
import { kafkaLibs, log4j2 } from '../../scripts/stack/kafka.mjs';

export const ADMIN = { username: 'admin', password: 'admin-secret-0' };

/**
 * Starts the broker (ports 19292/19293 unless told otherwise). `properties` override ours.
 * Returns the isolated broker handle plus addUser/removeUser/denyWrite/denyCluster helpers.
 */
export async function startScramBroker({
  name = 'recovery',
  port = 19292,
  controllerPort = 19293,
  properties = {},
} = {}) {
  const listener = `SASL_PLAINTEXT://127.0.0.1:${port}`;
  const broker = await startIsolatedKafka({
    name,
    port,
    controllerPort,
    properties: {
      listeners: `${listener},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': listener,
      'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name': 'SASL_PLAINTEXT',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required ' +
        `username="${ADMIN.username}" password="${ADMIN.password}" user_${ADMIN.username}="${ADMIN.password}";`,
      'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // ANONYMOUS: the controller listener is PLAINTEXT.
      'super.users': `User:${ADMIN.username};User:ANONYMOUS`,
      'allow.everyone.if.no.acl.found': 'true',
      ...properties,
    },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `scram-${name}-`));
  const adminConfig = path.join(dir, 'admin.properties');
  fs.writeFileSync(
    adminConfig,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=PLAIN',
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${ADMIN.username}" password="${ADMIN.password}";`,
      '',
    ].join('\n'),
  );
  const logFile = path.join(dir, 'tools.log');
  const log4jFile = path.join(dir, 'log4j2.properties');
  fs.writeFileSync(log4jFile, log4j2);
  const admin = ['--bootstrap-server', broker.brokers, '--command-config', adminConfig];
  // Kafka's own CLI tools, in a JVM of their own (the shared stack's kafkaTool logs under its run dir).
  const tool = (mainClass, args) =>
    run(
      requireJava(),
      [
        '-Xmx256m',
        ...jvmTuning(),
        `-Dlog4j2.configurationFile=${log4jFile}`,
        '-cp',
        `${kafkaLibs()}/*`,
        mainClass,
        ...admin,
        ...args,
      ],
      { logFile },
    );
  const configs = (args) => tool('kafka.admin.ConfigCommand', args);
  const acls = (args) => tool('org.apache.kafka.tools.AclCommand', args);
  return {
    broker,
    brokers: broker.brokers,
    /** librdkafka properties of a client logging in as `admin` (PLAIN). */
    adminKafkaConfig: {
      'bootstrap.servers': broker.brokers,
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanisms': 'PLAIN',
      'sasl.username': ADMIN.username,
      'sasl.password': ADMIN.password,
    },
    addUser: (user, password) =>
      configs([
        '--alter',
        '--add-config',
        `SCRAM-SHA-256=[iterations=4096,password=${password}]`,
        '--entity-type',
        'users',
        '--entity-name',
        user,
      ]),
    removeUser: (user) =>
      configs([
        '--alter',
        '--delete-config',
        'SCRAM-SHA-256',
        '--entity-type',
        'users',
        '--entity-name',
        user,
      ]),
    denyWrite: (user, topic) =>
      acls(['--add', '--deny-principal', `User:${user}`, '--operation', 'Write', '--topic', topic]),
    /** Denies what an idempotent producer needs from the cluster: writes to every topic and IdempotentWrite. */
    denyCluster: async (user) => {
      await acls([
        '--add',
        '--deny-principal',
        `User:${user}`,
        '--operation',
        'IdempotentWrite',
        '--cluster',
      ]);
      await acls(['--add', '--deny-principal', `User:${user}`, '--operation', 'Write', '--topic', '*']);
    },
    /** Removes every ACL naming the user (on the cluster and on every topic). */
    removeAcls: async (user) => {
      await acls([
        '--remove',
        '--force',
        '--deny-principal',
        `User:${user}`,
        '--operation',
        'IdempotentWrite',
        '--cluster',
      ]);
      await acls([
        '--remove',
        '--force',
        '--deny-principal',
        `User:${user}`,
        '--operation',
        'Write',
        '--topic',
        '*',
      ]);
    },
    async stop() {
      await broker.stop({ graceMs: 5_000 });
      if (!process.env.KEEP_SCRAM_TOOLS_LOG) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
