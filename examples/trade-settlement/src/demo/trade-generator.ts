import type { UserTrade } from '../user-trade.js';
import { seededRandom } from './seeded-random.js';

/** A message for `user_trades`: the key is the user id, the value ksqlDB's JSON (or, rarely, garbage). */
export interface GeneratedTrade {
  key: string | null;
  value: string;
  /** True for the corrupt messages, which the function must dead-letter. */
  corrupt: boolean;
}

const SYMBOLS = ['ZBZX', 'ZJZZT', 'ZTEST', 'ZVV', 'ZVZZT', 'ZWZZT', 'ZXZZT'];
const ACCOUNTS = ['ABC123', 'LMN456', 'XYZ789'];
const USERS = Array.from({ length: 9 }, (_, i) => ({ id: `User_${i + 1}`, region: `Region_${(i % 4) + 1}` }));

/**
 * A realistic stream of joined trades: mostly ordinary ones, some large, a few placed just under the
 * review threshold, a few without a known user, and the odd corrupt message a real topic collects.
 */
export function generateTrades(count: number, seed = 42): GeneratedTrade[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const trades: GeneratedTrade[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next();
    if (roll < 0.01) {
      trades.push({
        key: pick(USERS).id,
        value: i % 2 ? '{"USERID":"User_3","SYMBOL":' : 'not json at all',
        corrupt: true,
      });
      continue;
    }
    const user = roll < 0.05 ? null : pick(USERS);
    const price = Math.round((5 + next() * 195) * 100) / 100;
    // Quantities spread over three orders of magnitude, as real order sizes do.
    let quantity = Math.max(1, Math.round(10 ** (next() * 3.5)));
    if (roll > 0.97) quantity = Math.ceil(95_000 / price); // just under the 100,000 review threshold
    const trade: UserTrade = {
      USERID: user?.id ?? null,
      REGIONID: user?.region ?? null,
      QUANTITY: quantity,
      SYMBOL: pick(SYMBOLS),
      PRICE: price,
      ACCOUNT: pick(ACCOUNTS),
      SIDE: next() < 0.5 ? 'BUY' : 'SELL',
    };
    trades.push({ key: user?.id ?? null, value: JSON.stringify(trade), corrupt: false });
  }
  return trades;
}
