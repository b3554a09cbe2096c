// The Lambda entry point (Handler: index.handler): real credentials, producer, registry and store.
import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';
import { schemaRegistry } from '@kafka-lambda/serdes';
import { config, topics } from './config.js';
import { createSettlementHandler } from './settlement-handler.js';

const table = process.env.IDEMPOTENCY_TABLE;

export const handler = createSettlementHandler({
  producer: config,
  registry: schemaRegistry(config),
  topics,
  // ON_ERROR=report with the template's FunctionResponseTypes: [ReportBatchItemFailures].
  onError: process.env.ON_ERROR === 'report' ? 'report' : 'dead-letter',
  // Effectively once: the template's DynamoDB table remembers the settled trades; outputs are one
  // transaction per invocation (TRANSACTIONAL=false turns that off).
  ...(table ? { idempotency: dynamoDbStore({ tableName: table }) } : {}),
  transactional: process.env.TRANSACTIONAL !== 'false',
});
