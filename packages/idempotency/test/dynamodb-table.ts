// Test support: a fresh table per test (moto's /moto-api/reset, resetSecrets() of the stack, wipes
// every table), and moto's request recorder to count round trips.
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

export const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? 'http://127.0.0.1:5050';

export function dynamoClient(options: { endpoint?: string; maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: options.endpoint ?? endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: options.maxAttempts ?? 3,
  });
}

/** Creates the table as the README defines it: partition key `id` (S), TTL on `expiresAt`. */
export async function createTable(client: DynamoDBClient, name = `idem-${randomUUID()}`): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
  return name;
}

export async function deleteTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: name })).catch(() => {});
}

type Recorded = { headers: Record<string, string>; body: string; body_encoded: boolean };

/**
 * moto's request recording, one JSON object per line. A line that does not parse (a request over
 * 8 KB that concurrent requests interleaved) is skipped: a count can only come out short for it, so
 * a test may fail on it but never pass because of it.
 */
async function recording(): Promise<{ requests: Recorded[]; broken: number }> {
  const text = await (await fetch(`${endpoint}/moto-api/recorder/download-recording`)).text();
  const requests: Recorded[] = [];
  let broken = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      requests.push(JSON.parse(line) as Recorded);
    } catch {
      broken++;
    }
  }
  return { requests, broken };
}

/** The DynamoDB actions moto recorded that name `table`, in order. */
export async function dynamoCalls(table: string): Promise<string[]> {
  return (await recording()).requests.flatMap((request) => {
    const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const target = String(headers['x-amz-target'] ?? '');
    const body = request.body_encoded ? Buffer.from(request.body, 'base64').toString('utf8') : request.body;
    if (!target.startsWith('DynamoDB_20120810.') || !body.includes(`"${table}"`)) return [];
    return [target.slice('DynamoDB_20120810.'.length)];
  });
}

/**
 * Starts moto's recording afresh if a line of it is broken (a request over 8 KB that concurrent
 * requests interleaved), so that no later reader of the shared recording (the secrets tests count
 * GetSecretValue calls in it) fails on what this file's requests did to it.
 */
export async function repairRecording(): Promise<void> {
  if ((await recording()).broken > 0)
    await fetch(`${endpoint}/moto-api/recorder/reset-recording`, { method: 'POST' });
}
