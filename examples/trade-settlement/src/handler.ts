// The Lambda entry point (Handler: index.handler): real credentials, producer, registry and store.
import { kafkaProducer } from '@kafka-lambda/core/producer';
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { schemaRegistry } from '@kafka-lambda/serdes';
import { config, topics } from './config.js';
import { createSettlementHandler } from './settlement-handler.js';

const table = process.env.IDEMPOTENCY_TABLE;

// Effectively once: outputs are one transaction per invocation (TRANSACTIONAL=false turns that off),
// so the read_committed stream processor never counts a failed attempt's settlements.
const producer = kafkaProducer(config, { transactional: process.env.TRANSACTIONAL !== 'false' });

export const handler = createSettlementHandler({
  producer,
  registry: schemaRegistry(config),
  topics,
  // ON_ERROR=report with the template's FunctionResponseTypes: [ReportBatchItemFailures].
  onError: process.env.ON_ERROR === 'report' ? 'report' : 'dead-letter',
  // The template's DynamoDB table remembers the settled trades.
  ...(table ? { idempotencyStore: dynamoDbStore({ tableName: table }) } : {}),
});
