import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidTestInputError, lambdaContext, manualClock } from '../src/index.js';

describe('lambdaContext', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fills in every field of the Lambda context', () => {
    const context = lambdaContext({
      functionName: 'settle',
      memoryLimitInMB: 512,
      region: 'eu-west-1',
      accountId: '111122223333',
    });
    expect(context).toMatchObject({
      callbackWaitsForEmptyEventLoop: true,
      functionName: 'settle',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:settle',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/settle',
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(lambdaContext().awsRequestId).not.toBe(lambdaContext().awsRequestId);
    expect(() => context.succeed('x')).toThrow(InvalidTestInputError);
  });

  it('counts down from creation with a manual clock, never below zero', () => {
    const clock = manualClock(1_000_000);
    const context = lambdaContext({ timeoutMs: 5_000, clock });
    expect(context.getRemainingTimeInMillis()).toBe(5_000);
    clock.advance(1_250);
    expect(context.getRemainingTimeInMillis()).toBe(3_750);
    expect(context.deadlineMs).toBe(1_005_000);
    clock.advance(10_000);
    expect(context.getRemainingTimeInMillis()).toBe(0);
  });

  it('follows fake timers installed after its creation (default clock reads Date.now each time)', () => {
    const context = lambdaContext({ timeoutMs: 60_000 });
    vi.useFakeTimers({ now: Date.now() });
    const before = context.getRemainingTimeInMillis();
    vi.advanceTimersByTime(30_000);
    expect(before - context.getRemainingTimeInMillis()).toBe(30_000);
  });

  it('rejects a non-positive timeout', () => {
    expect(() => lambdaContext({ timeoutMs: 0 })).toThrow(InvalidTestInputError);
    expect(() => manualClock().advance(-1)).toThrow(InvalidTestInputError);
  });
});
