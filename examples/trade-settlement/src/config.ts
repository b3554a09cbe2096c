import { envConfig, secretsConfig } from '@kafka-lambda/core/config';

/**
 * Kafka and Schema Registry credentials: from Secrets Manager in Lambda (KAFKA_SECRET_ID), from
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL / … for local runs.
 */
export const config = process.env.KAFKA_SECRET_ID
  ? secretsConfig({ secretId: process.env.KAFKA_SECRET_ID })
  : envConfig();

export const topics = {
  output: process.env.OUTPUT_TOPIC ?? 'trade-settlements',
  deadLetter: process.env.DEAD_LETTER_TOPIC ?? 'user_trades.dlq',
};
