import { settle } from '../settlement-rules.js';
import type { UserTrade } from '../user-trade.js';
import { seededRandom } from './seeded-random.js';

/**
 * `stocktrade` and `users` as Confluent's datagen quickstarts write them (`Stock_Trades`, `Users`):
 * JSON with lower-case field names, keyed by user id. The stream processor joins them into
 * `user_trades` (../../ksql/pipeline.sql, ../../streams/).
 */
export interface DatagenMessage {
  key: string | null;
  value: string;
  /** Epoch milliseconds: the record's timestamp, which the per-minute windows count by. */
  timestamp: number;
}

/**
 * What a generated trade becomes: `trade` settles; `bad-side` is JSON the join passes on (ksqlDB does
 * not check values) and the function dead-letters; `not-json` is skipped by the stream processor
 * (ksqlDB's processing log).
 */
export type TradeKind = 'trade' | 'bad-side' | 'not-json';
export interface GeneratedStockTrade extends DatagenMessage {
  kind: TradeKind;
}

export const SYMBOLS = ['ZBZX', 'ZJZZT', 'ZTEST', 'ZVV', 'ZVZZT', 'ZWZZT', 'ZXZZT'];
const ACCOUNTS = ['ABC123', 'LMN456', 'XYZ789'];
const GENDERS = ['MALE', 'FEMALE', 'OTHER'];
/** The quickstarts' user ids. User_9 trades but never registered: its trades find no user. */
const USER_IDS = Array.from({ length: 9 }, (_, i) => `User_${i + 1}`);
const REGISTERED = USER_IDS.slice(0, 8);

/**
 * The users topic: each registered user twice (the second a change of region: the table keeps the
 * latest), all before `before`.
 */
export function generateUsers(before: number, seed = 1): DatagenMessage[] {
  const next = seededRandom(seed);
  const messages: DatagenMessage[] = [];
  for (const round of [0, 1]) {
    for (const [i, userid] of REGISTERED.entries()) {
      const value = {
        registertime: 1_490_000_000_000 + Math.floor(next() * 30_000_000_000),
        userid,
        regionid: `Region_${1 + Math.floor(next() * 9)}`,
        gender: GENDERS[Math.floor(next() * GENDERS.length)],
      };
      messages.push({
        key: userid,
        value: JSON.stringify(value),
        timestamp: before - 20_000 + round * 10_000 + i,
      });
    }
  }
  return messages;
}

/**
 * `count` trades spread evenly over [start, start + spanMs): mostly ordinary, some large, a few placed
 * just under the review threshold, 1% bad (half with an unknown side, half not JSON).
 */
export function generateStockTrades(
  count: number,
  start: number,
  spanMs: number,
  seed = 42,
): GeneratedStockTrade[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const trades: GeneratedStockTrade[] = [];
  for (let i = 0; i < count; i++) {
    const timestamp = start + Math.floor((i * spanMs) / count);
    const userid = pick(USER_IDS);
    const roll = next();
    if (roll < 0.005) {
      trades.push({
        key: userid,
        value: i % 2 ? `{"userid":"${userid}","symbol":` : 'not json at all',
        timestamp,
        kind: 'not-json',
      });
      continue;
    }
    const price = 5 + Math.floor(next() * 196); // whole currency units, as the quickstart's INT
    // Quantities spread over three orders of magnitude, as real order sizes do.
    let quantity = Math.max(1, Math.round(10 ** (next() * 3.5)));
    if (roll > 0.97) quantity = Math.ceil(95_000 / price); // just under the 100,000 review threshold
    const bad = roll < 0.01;
    const value = {
      side: bad ? 'SHORT' : next() < 0.5 ? 'BUY' : 'SELL',
      quantity,
      symbol: pick(SYMBOLS),
      price,
      account: pick(ACCOUNTS),
      userid,
    };
    trades.push({ key: userid, value: JSON.stringify(value), timestamp, kind: bad ? 'bad-side' : 'trade' });
  }
  return trades;
}

/** One cell of a windowed table: a (window, symbol, disposition) group. */
export interface WindowCell {
  windowStart: number;
  symbol: string;
  disposition: string;
  settlements: number;
  totalAmount: number;
}

export const cellKey = (c: Pick<WindowCell, 'windowStart' | 'symbol' | 'disposition'>) =>
  `${c.windowStart}|${c.symbol}|${c.disposition}`;

/**
 * What the pipeline must produce from the generated data, computed here without Kafka: the join
 * (registered users only), the settlement rules, and per-minute windows by the trade's timestamp.
 */
export function expectedOutcome(users: DatagenMessage[], trades: GeneratedStockTrade[]) {
  const regions = new Map<string, string>();
  for (const user of users) {
    const value = JSON.parse(user.value) as { regionid: string };
    regions.set(user.key!, value.regionid);
  }
  const cells = new Map<string, WindowCell>();
  for (const trade of trades) {
    if (trade.kind !== 'trade') continue;
    const s = JSON.parse(trade.value) as {
      side: 'BUY' | 'SELL';
      quantity: number;
      symbol: string;
      price: number;
      account: string;
    };
    const known = regions.has(trade.key!);
    const joined: UserTrade = {
      USERID: known ? trade.key : null,
      REGIONID: known ? regions.get(trade.key!)! : null,
      QUANTITY: s.quantity,
      SYMBOL: s.symbol,
      PRICE: s.price,
      ACCOUNT: s.account,
      SIDE: s.side,
    };
    const settlement = settle(joined, trade.timestamp);
    const windowStart = Math.floor(trade.timestamp / 60_000) * 60_000;
    const key = cellKey({ windowStart, symbol: settlement.symbol, disposition: settlement.disposition });
    const cell = cells.get(key) ?? {
      windowStart,
      symbol: settlement.symbol,
      disposition: settlement.disposition,
      settlements: 0,
      totalAmount: 0,
    };
    cell.settlements++;
    cell.totalAmount += settlement.amount;
    cells.set(key, cell);
  }
  const count = (kind: TradeKind) => trades.filter((t) => t.kind === kind).length;
  return {
    cells,
    settled: count('trade'),
    deadLetters: count('bad-side'),
    skipped: count('not-json'),
    joined: trades.length - count('not-json'),
  };
}
