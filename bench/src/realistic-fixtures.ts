import type { KafkaRecord } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import avsc from 'avsc';
import pb from 'protobufjs';

/**
 * The realistic trade of issue 14: 7 fields, ~200 B as JSON, one `traceparent` header per record,
 * 6 partitions. Handlers read the key, the value and every header of each record.
 */
export interface RealTrade {
  tradeId: string;
  symbol: string;
  side: string;
  quantity: number;
  price: number;
  account: string;
  executedAt: string;
}

export const REAL_AVRO_SCHEMA = {
  type: 'record',
  name: 'RealTrade',
  namespace: 'bench',
  fields: [
    { name: 'tradeId', type: 'string' },
    { name: 'symbol', type: 'string' },
    { name: 'side', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'price', type: 'double' },
    { name: 'account', type: 'string' },
    { name: 'executedAt', type: 'string' },
  ],
};

export const REAL_PROTO_TEXT = `syntax = "proto3";
package bench;

message RealTrade {
  string tradeId = 1;
  string symbol = 2;
  string side = 3;
  int32 quantity = 4;
  double price = 5;
  string account = 6;
  string executedAt = 7;
}
`;

export const realAvroType = avsc.Type.forSchema(REAL_AVRO_SCHEMA as avsc.Schema);
export const realProtoType = pb.parse(REAL_PROTO_TEXT).root.lookupType('bench.RealTrade');

export type RealFormat = 'json' | 'avro' | 'protobuf';

const SYMBOLS = ['AAPL', 'MSFT', 'AMZN', 'GOOG', 'NVDA', 'TSLA', 'META', 'ORCL'];

export function makeRealTrade(i: number): RealTrade {
  const hex = (n: number, width: number) => (n >>> 0).toString(16).padStart(width, '0').slice(-width);
  const h = Math.imul(i + 1, 2654435761);
  return {
    tradeId: `${hex(h, 8)}-${hex(i, 4)}-4${hex(h >> 4, 3)}-a${hex(h >> 8, 3)}-${hex(h ^ i, 8)}${hex(i, 4)}`,
    symbol: SYMBOLS[i % SYMBOLS.length]!,
    side: i % 2 ? 'SELL' : 'BUY',
    quantity: 1 + ((h >>> 0) % 10_000),
    price: ((h >>> 8) % 1_000_000) / 100,
    account: `ACC-${(100_000 + (i % 900_000)).toString()}-EU-CUSTODY`,
    executedAt: new Date(1_700_000_000_000 + i * 37).toISOString(),
  };
}

export function encodeReal(format: RealFormat, trade: RealTrade): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify(trade));
  if (format === 'avro') return realAvroType.toBuffer(trade);
  return Buffer.from(realProtoType.encode(realProtoType.fromObject(trade)).finish());
}

export const REAL_TOPIC = 'bench.real-trades';
export const REAL_PARTITIONS = 6;

/** A W3C traceparent as producers instrumented with OpenTelemetry send it, as the ESM's signed bytes. */
function traceparent(i: number): number[] {
  const text = `00-${(i + 1).toString(16).padStart(32, '0')}-${(i + 7).toString(16).padStart(16, '0')}-01`;
  return [...Buffer.from(text)].map((b) => (b > 127 ? b - 256 : b));
}

/**
 * `records` records over 6 partitions; `value(i)` is already framed as it travels. Returned as the
 * Lambda runtime hands an event to the handler: parsed from the invoke payload's JSON, so its objects
 * and header arrays lie in memory in the order `JSON.parse` allocates them, not scattered among the
 * garbage of building them (which made every pass over the event a cache miss per record).
 */
export function makeRealEvent(records: number, value: (i: number) => Buffer, first = 0): KafkaEvent {
  const groups: Record<string, KafkaEventRecord[]> = {};
  for (let n = 0; n < records; n++) {
    const i = first + n;
    const partition = i % REAL_PARTITIONS;
    const group = (groups[`${REAL_TOPIC}-${partition}`] ??= []);
    group.push({
      topic: REAL_TOPIC,
      partition,
      offset: 1_000 + i,
      timestamp: 1_700_000_000_000 + i,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(`ACC-${100_000 + (i % 900_000)}`).toString('base64'),
      value: value(i).toString('base64'),
      headers: [{ traceparent: traceparent(i) }],
    });
  }
  const event: KafkaEvent = {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/bench/abcd-1',
    bootstrapServers: 'b-1.bench:9092',
    records: groups,
  };
  return JSON.parse(JSON.stringify(event)) as KafkaEvent;
}

let sink = 0;
/** Keeps a read value alive, so that V8 cannot drop the read as dead code. */
export const keep = (value: unknown): void => {
  if (value !== undefined) sink++;
};
/** What was kept (printed only when impossible, to keep `sink` observable). */
export const sinkValue = (): number => sink;

/** What every realistic handler does with one decoded record: read the key, the value's fields, each header. */
export function useTrade(key: unknown, trade: RealTrade): void {
  keep(key);
  keep(trade.tradeId);
  keep(trade.symbol);
  keep(trade.quantity);
  keep(trade.price);
}

/** A realistic `process` on our record: its key, its trade's fields, every header as text. */
export function readOurs(record: KafkaRecord<string, RealTrade>): void {
  useTrade(record.key, record.value);
  for (const [name, value] of record.headers) keep(name.length + value.toString('utf8').length);
}

/** An await per record, as a handler that calls anything asynchronous does (a resolved promise: no I/O timed). */
export const io = (): Promise<void> => Promise.resolve();

/** The bare loop's record, by hand: base64 key and value, decode, every header's bytes to text. */
export function bareRecord(record: KafkaEventRecord, decodeValue: (bytes: Buffer) => RealTrade): void {
  const key = Buffer.from(record.key!, 'base64').toString('utf8');
  useTrade(key, decodeValue(Buffer.from(record.value!, 'base64')));
  for (const header of record.headers ?? [])
    for (const name in header) keep(name.length + Buffer.from(header[name]!).toString('utf8').length);
}
