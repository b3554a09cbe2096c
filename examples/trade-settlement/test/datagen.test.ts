import { describe, expect, it } from 'vitest';
import { expectedOutcome, generateStockTrades, generateUsers, SYMBOLS } from '../src/demo/datagen.js';

const start = Date.UTC(2026, 0, 1, 12, 0);

describe('datagen: stocktrade and users as the Confluent quickstarts shape them', () => {
  const users = generateUsers(start);
  const trades = generateStockTrades(2_000, start, 120_000);

  it('writes the quickstarts’ fields, keyed by user id, users before trades', () => {
    for (const user of users) {
      const value = JSON.parse(user.value);
      expect(Object.keys(value).sort()).toEqual(['gender', 'regionid', 'registertime', 'userid']);
      expect(user.key).toBe(value.userid);
      expect(user.timestamp).toBeLessThan(start);
    }
    for (const trade of trades.filter((t) => t.kind !== 'not-json')) {
      const value = JSON.parse(trade.value);
      expect(Object.keys(value).sort()).toEqual(['account', 'price', 'quantity', 'side', 'symbol', 'userid']);
      expect(trade.key).toBe(value.userid);
      expect(Number.isInteger(value.price) && Number.isInteger(value.quantity)).toBe(true);
      expect(SYMBOLS).toContain(value.symbol);
    }
    expect(trades.every((t) => t.timestamp >= start && t.timestamp < start + 120_000)).toBe(true);
  });

  it('is deterministic and accounts for every trade: settled, dead-lettered or skipped', () => {
    expect(generateStockTrades(2_000, start, 120_000)).toEqual(trades);
    const outcome = expectedOutcome(users, trades);
    expect(outcome.settled + outcome.deadLetters + outcome.skipped).toBe(trades.length);
    expect(outcome.joined).toBe(outcome.settled + outcome.deadLetters);
    const cells = [...outcome.cells.values()];
    expect(cells.reduce((sum, c) => sum + c.settlements, 0)).toBe(outcome.settled);
    expect(new Set(cells.map((c) => c.disposition))).toEqual(
      new Set(['Completed', 'Pending', 'Flagged', 'Rejected']),
    );
    expect(new Set(cells.map((c) => c.windowStart))).toEqual(new Set([start, start + 60_000]));
    // User_9 never registers: their trades, and only theirs, find no user and are rejected.
    const rejected = cells
      .filter((c) => c.disposition === 'Rejected')
      .reduce((sum, c) => sum + c.settlements, 0);
    const byUser9 = trades.filter((t) => t.kind === 'trade' && t.key === 'User_9').length;
    expect(rejected).toBe(byUser9);
  });
});
