/**
 * A row of `user_trades`, as ksqlDB's stream-table join writes it (JSON, upper-case column names).
 * `USERID` and `REGIONID` come from the users table and are null when the join found no user.
 */
export interface UserTrade {
  USERID: string | null;
  REGIONID: string | null;
  QUANTITY: number;
  SYMBOL: string;
  PRICE: number;
  ACCOUNT: string;
  SIDE: 'BUY' | 'SELL';
}

/** A `user_trades` value that is JSON but not a trade: dead-lettered with this message. */
export class InvalidTradeError extends Error {
  override name = 'InvalidTradeError';
}

/** Checks the fields the settlement rules read; JSON from another producer may lack or mistype them. */
export function assertUserTrade(value: unknown): asserts value is UserTrade {
  if (typeof value !== 'object' || value === null) throw new InvalidTradeError('trade is not a JSON object');
  const trade = value as Record<string, unknown>;
  const fail = (field: string, expected: string) => {
    throw new InvalidTradeError(`trade field ${field} must be ${expected}`);
  };
  if (!(typeof trade.USERID === 'string' || trade.USERID === null || trade.USERID === undefined))
    fail('USERID', 'a string or null');
  if (typeof trade.SYMBOL !== 'string' || trade.SYMBOL === '') fail('SYMBOL', 'a non-empty string');
  if (typeof trade.QUANTITY !== 'number' || !Number.isFinite(trade.QUANTITY) || trade.QUANTITY < 0) {
    fail('QUANTITY', 'a non-negative number');
  }
  if (typeof trade.PRICE !== 'number' || !Number.isFinite(trade.PRICE) || trade.PRICE < 0)
    fail('PRICE', 'a non-negative number');
  if (trade.SIDE !== 'BUY' && trade.SIDE !== 'SELL') fail('SIDE', '"BUY" or "SELL"');
}
