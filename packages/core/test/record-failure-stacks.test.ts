import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import { lambdaContext, mskEvent } from '@kafka-lambda/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';

interface LoggedErrorJson {
  name: string;
  message: string;
  at?: string[];
  stack?: string;
  cause: LoggedErrorJson;
}
type FailureLine = Record<string, unknown> & { message: string; error: LoggedErrorJson };

async function failureLines(): Promise<FailureLine[]> {
  const lines: string[] = [];
  const handler = createKafkaHandler({
    value: json<{ n: number }>(),
    logger: jsonLogger({ write: (line) => lines.push(line) }),
    logSummary: false,
    // Both records fail alike on purpose: this test is about the lines, not the batch's verdict.
    onError: { policy: 'log', allFailedAlike: 'apply-policy' },
    process() {
      throw new RangeError('n is out of range', { cause: new Error('upstream said no') });
    },
  });
  await handler(mskEvent([{ value: { n: 1 } }, { value: { n: 2 } }], { topic: 'orders' }), lambdaContext());
  return lines
    .map((line) => JSON.parse(line) as FailureLine)
    .filter((entry) => entry.message.startsWith('record failed'));
}

describe('per-record failure lines: compact unless KAFKA_LAMBDA_LOG_RECORD_STACKS asks for stacks', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('by default: one line per record with its location and error class, no stack', async () => {
    const lines = await failureLines();
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      expect(line).toMatchObject({
        level: 'ERROR',
        topic: 'orders',
        partition: 0,
        offset: 100 + i,
        stage: 'process',
      });
      expect(line.error).toMatchObject({
        name: 'RangeError',
        cause: { name: 'Error', message: 'upstream said no' },
      });
      expect(line.error.stack).toBeUndefined();
      expect(line.error.at!.length).toBeLessThanOrEqual(3);
    }
  });

  it.each(['1', 'true'])(
    'KAFKA_LAMBDA_LOG_RECORD_STACKS=%s: each line carries the full stacks',
    async (value) => {
      vi.stubEnv('KAFKA_LAMBDA_LOG_RECORD_STACKS', value);
      const [line] = await failureLines();
      expect(line!.error.stack).toMatch(/^RangeError: n is out of range\n\s+at /);
      expect(line!.error.cause.stack).toMatch(/^Error: upstream said no\n/);
      expect(line!.error.at).toBeUndefined();
    },
  );

  it('any other value keeps the lines compact', async () => {
    vi.stubEnv('KAFKA_LAMBDA_LOG_RECORD_STACKS', 'yes please');
    const [line] = await failureLines();
    expect(line!.error.stack).toBeUndefined();
  });
});
