// Placeholders the documentation samples use without defining them, so that each sample can stay
// short and still be type-checked (scripts/docs/check-samples.mjs). A global script, not a module:
// keep it free of top-level imports and exports; use `import('…')` types instead.
//
// Add a name here only when it stands for "your code" (a domain type, a business function, a value a
// test already has). Anything a sample imports from the SDK must really be imported in the sample.

/** A row of `user_trades`, as in examples/trade-settlement/src/user-trade.ts. */
interface UserTrade {
  USERID: string | null;
  REGIONID: string | null;
  QUANTITY: number;
  SYMBOL: string;
  PRICE: number;
  ACCOUNT: string;
  SIDE: 'BUY' | 'SELL';
}

/** The Protobuf `TradeSettlement` as a plain object, as in examples/trade-settlement/src/settlement-rules.ts. */
interface TradeSettlement {
  user: string;
  symbol: string;
  amount: number;
  disposition: 'Completed' | 'Pending' | 'Flagged' | 'Rejected';
  reason: string;
  timestamp: number;
}

/** Your business rule: turns a trade into its settlement. */
declare function settle(trade: UserTrade): TradeSettlement;

/** A trade as a simpler sample sees it. */
interface Trade {
  SYMBOL: string;
  QUANTITY: number;
}

/** A value a test already has. */
declare const trade: Trade;

/** Avro schema text of `Trade`, as a test would load it. */
declare const tradeSchemaJson: string;

/** Your own I/O, e.g. a database write. */
declare function saveOrder(order: { id: string; total: number }): Promise<void>;

// Jest is not a dependency of this repository: its globals module is shimmed with Vitest's types,
// which match for describe/it/expect/beforeEach/afterEach.
declare module '@jest/globals' {
  export { afterEach, beforeEach, describe, expect, it } from 'vitest';
}
