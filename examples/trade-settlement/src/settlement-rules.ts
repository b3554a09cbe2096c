import type { UserTrade } from './user-trade.js';

export type Disposition = 'Completed' | 'Pending' | 'Flagged' | 'Rejected';

/** The `TradeSettlement` Protobuf message (proto/trade_settlement.proto) as a plain object. */
export interface TradeSettlement {
  user: string;
  symbol: string;
  amount: number;
  disposition: Disposition;
  reason: string;
  /** Epoch milliseconds. */
  timestamp: number;
}

/** Trades worth more than this wait for a manual review. */
export const LARGE_TRADE_THRESHOLD = 100_000;
/**
 * Trades within this distance below the review threshold are flagged as possible structuring: splitting
 * an order so that each part stays just under the amount that triggers a review.
 */
export const STRUCTURING_BAND = 10_000;

/**
 * Settles one trade. The rules apply in order and the first that matches decides:
 * 1. no user account (the join found no user) → `Rejected`, "No user account specified";
 * 2. amount (quantity × price) above 100,000 → `Pending`, "Large trade";
 * 3. amount within 10,000 below that threshold (90,000 to 100,000) → `Flagged`, possible structuring;
 * 4. otherwise → `Completed`.
 * Deterministic: the same trade always settles the same way.
 */
export function settle(trade: UserTrade, timestamp: number): TradeSettlement {
  const amount = round2(trade.QUANTITY * trade.PRICE);
  const base = { user: trade.USERID ?? '', symbol: trade.SYMBOL, amount, timestamp };
  if (!trade.USERID) return { ...base, disposition: 'Rejected', reason: 'No user account specified' };
  if (amount > LARGE_TRADE_THRESHOLD) return { ...base, disposition: 'Pending', reason: 'Large trade' };
  if (amount >= LARGE_TRADE_THRESHOLD - STRUCTURING_BAND) {
    return {
      ...base,
      disposition: 'Flagged',
      reason: 'Possible structuring: just under the large-trade threshold',
    };
  }
  return { ...base, disposition: 'Completed', reason: 'Settled' };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
