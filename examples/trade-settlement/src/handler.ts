// The Lambda entry point (Handler: index.handler): real credentials, producer and registry.
import { schemaRegistry } from '@kafka-lambda/serdes';
import { config, topics } from './config.js';
import { createSettlementHandler } from './settlement-handler.js';

export const handler = createSettlementHandler({
  producer: config,
  registry: schemaRegistry(config),
  topics,
  // ON_ERROR=report with the template's FunctionResponseTypes: [ReportBatchItemFailures].
  onError: process.env.ON_ERROR === 'report' ? 'report' : 'dead-letter',
});
