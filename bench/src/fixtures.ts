import type { LambdaContext } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import avsc from 'avsc';
import pb from 'protobufjs';

/** The payload of every benchmark: a trade with N legs, N chosen to hit a value size. */
export interface Leg {
  id: string;
  quantity: number;
  price: number;
  venue: string;
}

export interface Trade {
  id: string;
  symbol: string;
  side: string;
  quantity: number;
  price: number;
  account: string;
  venue: string;
  ts: number;
  legs: Leg[];
}

export const AVRO_SCHEMA = {
  type: 'record',
  name: 'Trade',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'symbol', type: 'string' },
    { name: 'side', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'price', type: 'double' },
    { name: 'account', type: 'string' },
    { name: 'venue', type: 'string' },
    { name: 'ts', type: 'long' },
    {
      name: 'legs',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Leg',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'quantity', type: 'int' },
            { name: 'price', type: 'double' },
            { name: 'venue', type: 'string' },
          ],
        },
      },
    },
  ],
};

// Trade first: its Confluent message index is [0], the single byte 0x00, as for most real schemas.
export const PROTO_TEXT = `syntax = "proto3";
package bench;

message Trade {
  string id = 1;
  string symbol = 2;
  string side = 3;
  int32 quantity = 4;
  double price = 5;
  string account = 6;
  string venue = 7;
  int64 ts = 8;
  repeated Leg legs = 9;
}

message Leg {
  string id = 1;
  int32 quantity = 2;
  double price = 3;
  string venue = 4;
}
`;

export const avroType = avsc.Type.forSchema(AVRO_SCHEMA as avsc.Schema);
export const protoType = pb.parse(PROTO_TEXT).root.lookupType('bench.Trade');

export type Format = 'json' | 'avro' | 'protobuf';

/** Payload bytes without any framing. */
export function encodePayload(format: Format, trade: Trade): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify(trade));
  if (format === 'avro') return avroType.toBuffer(trade);
  return Buffer.from(protoType.encode(protoType.fromObject(trade)).finish());
}

/** Deterministic pseudo-random values, so every run decodes the same bytes but no two records are equal. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SYMBOLS = ['AAPL', 'MSFT', 'AMZN', 'GOOG', 'NVDA', 'TSLA', 'META', 'ORCL'];
const VENUES = ['XNAS', 'XNYS', 'BATS', 'IEXG'];

export function makeTrade(i: number, legs: number): Trade {
  const r = rng(i + 1);
  const pick = <T>(list: T[]) => list[Math.floor(r() * list.length)]!;
  return {
    id: `T-${(1_000_000 + i).toString(36)}-${Math.floor(r() * 1e9).toString(36)}`,
    symbol: pick(SYMBOLS),
    side: r() < 0.5 ? 'BUY' : 'SELL',
    quantity: 1 + Math.floor(r() * 10_000),
    price: Math.round(r() * 1e6) / 100,
    account: `ACC-${Math.floor(r() * 1e6)}`,
    venue: pick(VENUES),
    ts: 1_700_000_000_000 + i * 37,
    legs: Array.from({ length: legs }, (_, k) => ({
      id: `L-${i}-${k}`,
      quantity: 1 + Math.floor(r() * 500),
      price: Math.round(r() * 1e6) / 100,
      venue: pick(VENUES),
    })),
  };
}

/** The number of legs that brings the framed value closest to `bytes` in this format. */
export function legsFor(format: Format, bytes: number): number {
  let best = 0;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let legs = 0; legs < 200; legs++) {
    const size = encodePayload(format, makeTrade(7, legs)).length + (format === 'json' ? 0 : 6);
    const gap = Math.abs(size - bytes);
    if (gap < bestGap) [best, bestGap] = [legs, gap];
    if (size > bytes) break;
  }
  return best;
}

export const TOPIC = 'bench.trades';

export interface EventOptions {
  records: number;
  partitions: number;
  /** Value bytes of record i (already framed as it should be on the wire). */
  value(i: number): Buffer;
  key?(i: number): string;
  valueSchemaMetadata?: { dataFormat: string; schemaId: string };
}

/** An ESM event as Lambda delivers it: records grouped by `<topic>-<partition>`, base64 key and value. */
export function makeEvent(options: EventOptions): KafkaEvent {
  const records: Record<string, KafkaEventRecord[]> = {};
  for (let i = 0; i < options.records; i++) {
    const partition = i % options.partitions;
    const group = (records[`${TOPIC}-${partition}`] ??= []);
    const record: KafkaEventRecord = {
      topic: TOPIC,
      partition,
      offset: 1_000 + group.length,
      timestamp: 1_700_000_000_000 + i,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(options.key?.(i) ?? SYMBOLS[i % SYMBOLS.length]!).toString('base64'),
      value: options.value(i).toString('base64'),
      headers: [],
    };
    if (options.valueSchemaMetadata) record.valueSchemaMetadata = options.valueSchemaMetadata;
    group.push(record);
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/bench/abcd-1',
    bootstrapServers: 'b-1.bench:9092',
    records,
  };
}

export function eventRecords(event: KafkaEvent): KafkaEventRecord[] {
  return Object.values(event.records).flat();
}

/** A Lambda context with the full 15 minutes left, so the deadline guard never fires. */
export function lambdaContext(): LambdaContext & { functionName: string } {
  const end = Date.now() + 900_000;
  return { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => end - Date.now() };
}

export const noop = (): void => {};
