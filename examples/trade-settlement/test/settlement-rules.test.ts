import { describe, expect, it } from 'vitest';
import { settle } from '../src/settlement-rules.js';
import { assertUserTrade, InvalidTradeError, type UserTrade } from '../src/user-trade.js';

const trade = (overrides: Partial<UserTrade>): UserTrade => ({
  USERID: 'User_1',
  REGIONID: 'Region_1',
  QUANTITY: 10,
  SYMBOL: 'ZVZZT',
  PRICE: 50,
  ACCOUNT: 'ABC123',
  SIDE: 'BUY',
  ...overrides,
});

describe('settle', () => {
  it.each([
    ['no user', { USERID: null, QUANTITY: 5_000, PRICE: 900 }, 'Rejected', 'No user account specified'],
    ['an empty user', { USERID: '' }, 'Rejected', 'No user account specified'],
    ['a large trade', { QUANTITY: 2_000, PRICE: 50.01 }, 'Pending', 'Large trade'],
    [
      'exactly the threshold',
      { QUANTITY: 1_000, PRICE: 100 },
      'Flagged',
      'Possible structuring: just under the large-trade threshold',
    ],
    [
      'the bottom of the structuring band',
      { QUANTITY: 900, PRICE: 100 },
      'Flagged',
      'Possible structuring: just under the large-trade threshold',
    ],
    ['just below the band', { QUANTITY: 899, PRICE: 100 }, 'Completed', 'Settled'],
    ['an ordinary trade', {}, 'Completed', 'Settled'],
  ])('%s', (_name, overrides, disposition, reason) => {
    const settlement = settle(trade(overrides), 1_700_000_000_000);
    expect(settlement.disposition).toBe(disposition);
    expect(settlement.reason).toBe(reason);
  });

  it('computes the amount and copies user, symbol and timestamp', () => {
    expect(settle(trade({ QUANTITY: 3, PRICE: 0.1 }), 42)).toEqual({
      user: 'User_1',
      symbol: 'ZVZZT',
      amount: 0.3,
      disposition: 'Completed',
      reason: 'Settled',
      timestamp: 42,
    });
  });
});

describe('assertUserTrade', () => {
  it.each([
    [null, 'trade is not a JSON object'],
    [{ ...trade({}), SYMBOL: 3 }, 'trade field SYMBOL must be a non-empty string'],
    [{ ...trade({}), QUANTITY: '3' }, 'trade field QUANTITY must be a non-negative number'],
    [{ ...trade({}), PRICE: -1 }, 'trade field PRICE must be a non-negative number'],
    [{ ...trade({}), SIDE: 'HOLD' }, 'trade field SIDE must be "BUY" or "SELL"'],
    [{ ...trade({}), USERID: 7 }, 'trade field USERID must be a string or null'],
  ])('rejects %j', (value, message) => {
    expect(() => assertUserTrade(value)).toThrow(new InvalidTradeError(message));
  });

  it('accepts a trade without a user', () => {
    expect(() => assertUserTrade(trade({ USERID: null }))).not.toThrow();
  });
});
