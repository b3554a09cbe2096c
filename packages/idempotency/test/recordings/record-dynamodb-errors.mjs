// Records what the AWS SDK v3 DynamoDB client (@aws-sdk/client-dynamodb) really rejects with on the
// faults the DynamoDB store must classify: against the stack's moto server (a table of this script's
// own), a closed port, and — because moto never throttles — a local HTTP server answering the error
// body DynamoDB documents for throttling, so that the SDK's own parsing and retries make the shape.
// Writes dynamodb-errors.json next to this file, which the unit tests' fake client replays.
//
//   node packages/idempotency/test/recordings/record-dynamodb-errors.mjs   (the stack must be up)
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../package.json'));
const ddb = require('@aws-sdk/client-dynamodb');
const clientVersion = require('@aws-sdk/client-dynamodb/package.json').version;
const motoUrl = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? 'http://127.0.0.1:5050';

function shape(error) {
  const out = { class: error?.constructor?.name, name: error?.name, message: error?.message };
  for (const key of Object.keys(error ?? {})) if (key !== 'stack' && key !== 'message') out[key] = error[key];
  if (out.$metadata)
    out.$metadata = {
      ...out.$metadata,
      requestId: out.$metadata.requestId ? '<id>' : undefined,
      extendedRequestId: undefined,
      cfId: undefined,
    };
  if (out.$response) delete out.$response;
  if (error?.cause) out.cause = shape(error.cause);
  return out;
}

const client = (endpoint, maxAttempts = 1) =>
  new ddb.DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts,
  });

async function rejection(promise) {
  try {
    await promise;
    return { resolved: true };
  } catch (error) {
    return { rejected: shape(error) };
  }
}

const scenarios = {};
const moto = client(motoUrl);
const table = `rec-${randomUUID()}`;
await moto.send(
  new ddb.CreateTableCommand({
    TableName: table,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }),
);
try {
  scenarios['connection-refused'] = {
    how: 'BatchGetItem to a closed port (127.0.0.1:16392), maxAttempts 1',
    ...(await rejection(
      client('http://127.0.0.1:16392').send(
        new ddb.BatchGetItemCommand({ RequestItems: { [table]: { Keys: [{ id: { S: 'k' } }] } } }),
      ),
    )),
  };
  scenarios['table-not-found'] = {
    how: 'BatchGetItem on a table that does not exist (moto)',
    ...(await rejection(
      moto.send(
        new ddb.BatchGetItemCommand({ RequestItems: { 'no-such-table': { Keys: [{ id: { S: 'k' } }] } } }),
      ),
    )),
  };
  await moto.send(
    new ddb.PutItemCommand({ TableName: table, Item: { id: { S: 'taken' }, owner: { S: 'other' } } }),
  );
  scenarios['condition-failed'] = {
    how: 'PutItem with attribute_not_exists(id) on an existing item, ReturnValuesOnConditionCheckFailure ALL_OLD (moto)',
    ...(await rejection(
      moto.send(
        new ddb.PutItemCommand({
          TableName: table,
          Item: { id: { S: 'taken' }, owner: { S: 'me' } },
          ConditionExpression: 'attribute_not_exists(id)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    )),
  };
  scenarios['batch-get-duplicate-keys'] = {
    how: 'BatchGetItem with the same key twice (moto)',
    ...(await rejection(
      moto.send(
        new ddb.BatchGetItemCommand({
          RequestItems: { [table]: { Keys: [{ id: { S: 'a' } }, { id: { S: 'a' } }] } },
        }),
      ),
    )),
  };
  const controller = new AbortController();
  const pending = moto.send(new ddb.GetItemCommand({ TableName: table, Key: { id: { S: 'a' } } }), {
    abortSignal: controller.signal,
  });
  controller.abort();
  scenarios.aborted = {
    how: 'GetItem whose abortSignal aborts at once (moto)',
    ...(await rejection(pending)),
  };

  // Throttling: DynamoDB's documented answer (HTTP 400, x-amzn-ErrorType and __type), from a stub.
  for (const [type, message] of [
    [
      'ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
    ],
    ['ThrottlingException', 'Rate of requests exceeds the allowed throughput.'],
  ]) {
    let requests = 0;
    const stub = http.createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': `${type}:`,
          'x-amzn-requestid': 'STUB',
        });
        res.end(body);
      });
    });
    await new Promise((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const { port } = stub.address();
    const result = await rejection(
      client(`http://127.0.0.1:${port}`, 2).send(
        new ddb.BatchGetItemCommand({ RequestItems: { [table]: { Keys: [{ id: { S: 'k' } }] } } }),
      ),
    );
    stub.close();
    scenarios[`throttled-${type}`] = {
      how: `BatchGetItem answered HTTP 400 ${type} (a local stub serving DynamoDB's documented error body), maxAttempts 2`,
      requestsSent: requests,
      ...result,
    };
  }
} finally {
  await moto.send(new ddb.DeleteTableCommand({ TableName: table })).catch(() => {});
}

const file = path.join(here, 'dynamodb-errors.json');
fs.writeFileSync(
  file,
  `${JSON.stringify(
    {
      producedBy: 'node packages/idempotency/test/recordings/record-dynamodb-errors.mjs',
      client: `@aws-sdk/client-dynamodb ${clientVersion}`,
      server: 'moto 5.2.5 (server mode); throttling from a local stub (moto never throttles)',
      recordedAt: new Date().toISOString(),
      scenarios,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${file}`);
