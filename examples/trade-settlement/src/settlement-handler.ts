import { createKafkaHandler, json, type KafkaProducer, type Logger, string } from '@kafka-lambda/core';
import { sinkConnector } from '@kafka-lambda/core/events';
import { type IdempotencyStore, idempotency } from '@kafka-lambda/idempotency';
import type { SchemaRegistry } from '@kafka-lambda/serdes';
import { settle } from './settlement-rules.js';
import { settlementSerde } from './settlement-serde.js';
import { assertUserTrade, type UserTrade } from './user-trade.js';

export interface SettlementHandlerOptions {
  /** A transactional producer makes each invocation's settlements and dead letters one Kafka transaction. */
  producer: KafkaProducer;
  registry: SchemaRegistry;
  topics: { output: string; deadLetter: string };
  logger?: Logger;
  /**
   * `dead-letter` (default): a bad trade goes to `topics.deadLetter` and the batch goes on.
   * `report`: the partition stops at a bad trade and returns it in `batchItemFailures`, so the ESM
   * retries from there and, once `MaximumRetryAttempts` is spent, writes it to its on-failure
   * destination (the templates' provisioned-mode setup).
   */
  onError?: 'dead-letter' | 'report';
  /**
   * Effectively once (docs/effectively-once.md): a trade whose offset an earlier invocation completed
   * is not settled again when the ESM redelivers its batch.
   */
  idempotencyStore?: IdempotencyStore;
}

/**
 * Settles each trade of `user_trades` and writes a Protobuf `TradeSettlement` keyed by symbol. Trades
 * that are not JSON, or not trades, go to the dead-letter topic with the reason.
 * A factory, so that tests can hand it an in-memory producer and registry; `handler.ts` wires the real ones.
 */
export function createSettlementHandler({
  producer,
  registry,
  topics,
  logger,
  onError = 'dead-letter',
  idempotencyStore,
}: SettlementHandlerOptions) {
  const settlements = settlementSerde(registry);
  return createKafkaHandler({
    key: string(),
    value: json<UserTrade>(),
    producer,
    onError: onError === 'dead-letter' ? { policy: onError, topic: topics.deadLetter } : onError,
    use: [
      // Deployed behind the ESM or behind Confluent's Lambda Sink Connector (sync mode): both shapes.
      sinkConnector(),
      // The trades carry no id of their own: the default key, <function>#<topic>-<partition>@<offset>.
      ...(idempotencyStore ? [idempotency({ store: idempotencyStore })] : []),
    ],
    ...(logger ? { logger } : {}),
    process(record, { produce }) {
      assertUserTrade(record.value);
      const settlement = settle(record.value, record.timestamp);
      // The settlement keeps the trade's time: downstream windows count trades by when they happened.
      produce({
        topic: topics.output,
        key: settlement.symbol,
        value: settlement,
        serializer: settlements,
        timestamp: record.timestamp,
      });
    },
  });
}
