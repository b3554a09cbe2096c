// `stack.mjs verify`: a smoke test of the running stack through each part's real interface.
// Kafka: create/list/delete a topic over PLAINTEXT and over SASL_PLAINTEXT (Kafka's own CLI).
// Registry: register an AVRO and a PROTOBUF schema, read both back by id.
// Secrets: create and read a secret; moto's recorder counts the GetSecretValue call.
// Redis: SET with PX, GET, PTTL, DEL over RESP; DynamoDB (moto): ListTables.
// RIE: a handler with a module-scope counter answers twice from the same warm process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDir, saslUser, stackEnv } from './env.mjs';
import { kafkaTool } from './kafka.mjs';
import { httpRequest } from './process.mjs';
import { redisCommand } from './redis.mjs';
import { startRie } from './rie.mjs';
import { countSecretsCalls } from './secrets.mjs';

function check(cond, what) {
  if (!cond) throw new Error(`verify: ${what}`);
}

async function verifyKafka() {
  const topic = `stack-verify-${Date.now()}`;
  const saslConfig = path.join(runDir, 'kafka', 'verify-sasl.properties');
  fs.writeFileSync(
    saslConfig,
    'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n' +
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${saslUser.username}" password="${saslUser.password}";\n`,
  );
  const logFile = path.join(runDir, 'kafka', 'verify.log');
  fs.writeFileSync(logFile, '');
  const topics = (args) => kafkaTool('org.apache.kafka.tools.TopicCommand', args, { logFile });
  await topics([
    '--bootstrap-server',
    stackEnv.KAFKA_BROKERS,
    '--create',
    '--topic',
    topic,
    '--partitions',
    '3',
  ]);
  await topics([
    '--bootstrap-server',
    stackEnv.KAFKA_SASL_BROKERS,
    '--command-config',
    saslConfig,
    '--describe',
    '--topic',
    topic,
  ]);
  check(
    fs.readFileSync(logFile, 'utf8').includes(`Topic: ${topic}\tTopicId:`),
    `topic ${topic} not described over SASL`,
  );
  await topics(['--bootstrap-server', stackEnv.KAFKA_BROKERS, '--delete', '--topic', topic]);
  return `topic created (PLAINTEXT), described (SASL_PLAINTEXT as ${saslUser.username}), deleted`;
}

async function verifyRegistry() {
  const url = stackEnv.SCHEMA_REGISTRY_URL;
  const headers = { 'Content-Type': 'application/vnd.schemaregistry.v1+json' };
  const suffix = Date.now();
  const register = async (subject, body) => {
    const res = await httpRequest(`${url}/subjects/${subject}/versions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    check(res?.status === 200, `register ${subject}: ${res?.status} ${res?.body}`);
    return JSON.parse(res.body).id;
  };
  const avro = JSON.stringify({ type: 'record', name: 'Verify', fields: [{ name: 'id', type: 'string' }] });
  const proto = 'syntax = "proto3";\nmessage Verify { string id = 1; }\n';
  const avroId = await register(`verify-avro-${suffix}`, { schema: avro });
  const protoId = await register(`verify-proto-${suffix}`, { schema: proto, schemaType: 'PROTOBUF' });
  const a = JSON.parse((await httpRequest(`${url}/schemas/ids/${avroId}`)).body);
  const p = JSON.parse((await httpRequest(`${url}/schemas/ids/${protoId}`)).body);
  check(a.schema === avro && (a.schemaType ?? 'AVRO') === 'AVRO', `avro by id: ${JSON.stringify(a)}`);
  check(
    p.schema.includes('message Verify') && p.schemaType === 'PROTOBUF',
    `protobuf by id: ${JSON.stringify(p)}`,
  );
  for (const s of [`verify-avro-${suffix}`, `verify-proto-${suffix}`])
    await httpRequest(`${url}/subjects/${s}`, { method: 'DELETE' });
  return `AVRO id ${avroId}, PROTOBUF id ${protoId} registered and read back`;
}

async function verifySecrets() {
  const call = async (action, body) => {
    const res = await httpRequest(stackEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': `secretsmanager.${action}`,
        Authorization: `AWS4-HMAC-SHA256 Credential=${stackEnv.AWS_ACCESS_KEY_ID}/20250101/${stackEnv.AWS_REGION}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    check(res?.status === 200, `${action}: ${res?.status} ${res?.body}`);
    return JSON.parse(res.body);
  };
  const name = `stack-verify-${Date.now()}`;
  const before = await countSecretsCalls('GetSecretValue');
  await call('CreateSecret', { Name: name, SecretString: '{"username":"u","password":"p"}' });
  const got = await call('GetSecretValue', { SecretId: name });
  check(got.SecretString.includes('"username"'), 'GetSecretValue returned the wrong value');
  const after = await countSecretsCalls('GetSecretValue');
  check(after === before + 1, `recorder counted ${after - before} GetSecretValue calls, expected 1`);
  await call('DeleteSecret', { SecretId: name, ForceDeleteWithoutRecovery: true });
  return 'secret created and read; recorder counted 1 GetSecretValue';
}

async function verifyRedis() {
  const key = `stack-verify-${Date.now()}`;
  const port = Number(stackEnv.REDIS_PORT);
  check((await redisCommand(port, ['SET', key, 'v', 'PX', '60000'])) === '+OK\r\n', 'SET failed');
  check((await redisCommand(port, ['GET', key])) === '$1\r\nv\r\n', 'GET returned the wrong value');
  const ttl = Number((await redisCommand(port, ['PTTL', key]))?.slice(1));
  check(ttl > 0 && ttl <= 60000, `PTTL ${ttl}`);
  await redisCommand(port, ['DEL', key]);
  const res = await httpRequest(stackEnv.AWS_ENDPOINT_URL_DYNAMODB, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.ListTables',
      Authorization: `AWS4-HMAC-SHA256 Credential=${stackEnv.AWS_ACCESS_KEY_ID}/20250101/${stackEnv.AWS_REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: '{}',
  });
  check(res?.status === 200 && 'TableNames' in JSON.parse(res.body), `DynamoDB ListTables: ${res?.status}`);
  return `redis SET/GET/PTTL on ${stackEnv.REDIS_URL}; moto DynamoDB answers ListTables`;
}

async function verifyRie() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-rie-verify-'));
  fs.writeFileSync(
    path.join(dir, 'index.mjs'),
    'let count = 0;\nexport const handler = async (event, context) => ({ count: ++count, pid: process.pid, echo: event, remaining: context.getRemainingTimeInMillis() > 0 });\n',
  );
  const rie = await startRie({ handlerDir: dir });
  try {
    const r1 = await rie.invoke({ n: 1 });
    const r2 = await rie.invoke({ n: 2 });
    check(r1.json?.count === 1 && r2.json?.count === 2, `counter ${r1.body} then ${r2.body}`);
    check(
      r1.json.pid === r2.json.pid && r2.json.echo.n === 2 && r2.json.remaining,
      'not the same warm process',
    );
    return `${rie.kind}: invoked twice, count 1 -> 2 in pid ${r2.json.pid} (warm)`;
  } finally {
    await rie.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function verify() {
  const parts = {
    kafka: verifyKafka,
    registry: verifyRegistry,
    secrets: verifySecrets,
    redis: verifyRedis,
    rie: verifyRie,
  };
  let failed = 0;
  for (const [name, fn] of Object.entries(parts)) {
    const t = Date.now();
    try {
      console.log(`${name.padEnd(9)} ok   ${await fn()} (${Date.now() - t} ms)`);
    } catch (err) {
      failed++;
      console.log(`${name.padEnd(9)} FAIL ${err.message}`);
    }
  }
  if (failed) throw new Error(`${failed} part(s) failed`);
}
