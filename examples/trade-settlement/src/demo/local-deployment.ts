import { randomUUID } from 'node:crypto';
import { putDemoSecret } from './demo-secret.js';
import { ensureIdempotencyTable } from './idempotency-table.js';

/** The function's topics, as its environment names them. */
export interface SettlementTopics {
  input: string;
  output: string;
  deadLetter: string;
}

/**
 * Stands up what the deployed function would find in AWS, on the local stack: a secret with the SASL
 * listener's credentials and the registry URL, the idempotency table (moto's DynamoDB), and the
 * environment variables of template.yaml (plus the emulator endpoints). The bundle finds its
 * .proto itself (kafka-lambda bundle --asset).
 */
export async function localDeployment(
  env: Record<string, string | undefined>,
  {
    secretId,
    topics,
    logLevel = 'error',
    // A table per deployment: the demo recreates its topics, so offsets (the keys) start again at 0.
    idempotencyTable = `trade-settlement-idempotency-${randomUUID().slice(0, 8)}`,
  }: {
    secretId: string;
    topics: SettlementTopics;
    logLevel?: string;
    idempotencyTable?: string;
  },
): Promise<Record<string, string>> {
  await ensureIdempotencyTable(idempotencyTable);
  await putDemoSecret(secretId, {
    'bootstrap.servers': env.KAFKA_SASL_BROKERS!,
    'security.protocol': 'SASL_PLAINTEXT',
    username: env.KAFKA_SASL_USERNAME!,
    password: env.KAFKA_SASL_PASSWORD!,
    'schema.registry.url': env.SCHEMA_REGISTRY_URL!,
  });
  return {
    KAFKA_SECRET_ID: secretId,
    OUTPUT_TOPIC: topics.output,
    DEAD_LETTER_TOPIC: topics.deadLetter,
    IDEMPOTENCY_TABLE: idempotencyTable,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: env.AWS_ENDPOINT_URL_SECRETS_MANAGER!,
    AWS_ENDPOINT_URL_DYNAMODB: env.AWS_ENDPOINT_URL_DYNAMODB!,
    AWS_REGION: env.AWS_REGION!,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID!,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY!,
    LOG_LEVEL: logLevel,
  };
}
