import { describe, expect, it } from 'vitest';
import { InvalidTestInputError } from '../src/index.js';
import { parseCliArgs } from '../src/runner/cli-options.js';

describe('kafka-lambda-local arguments', () => {
  it('maps flags to runner options', () => {
    const command = parseCliArgs(
      [
        'dist/handler.js',
        '-t',
        'orders,payments',
        '--topic',
        'refunds',
        '--batch-size',
        '500',
        '--batch-window-ms',
        '0',
        '--report-batch-item-failures',
        '--max-retries',
        'infinite',
        '--on-retries-exhausted',
        'skip',
        '--msk',
        '--consumer-config',
        'security.protocol=SASL_PLAINTEXT',
        '--export',
        'main',
      ],
      { KAFKA_BROKERS: 'b1:9092' },
    );
    expect(command).toMatchObject({ help: false, handlerFile: 'dist/handler.js', exportName: 'main' });
    expect(command.options).toMatchObject({
      brokers: 'b1:9092',
      topics: ['orders', 'payments', 'refunds'],
      batchSize: 500,
      batchWindowMs: 0,
      reportBatchItemFailures: true,
      maxRetries: Number.POSITIVE_INFINITY,
      onRetriesExhausted: 'skip',
      eventSource: 'aws:kafka',
      consumerConfig: { 'security.protocol': 'SASL_PLAINTEXT' },
    });
    expect(command.options.rie).toBeUndefined();
  });

  it('--rie-bin implies running in the emulator with the same handler file', () => {
    const command = parseCliArgs(['h.mjs', '-t', 'x', '--rie-bin', '/opt/rie'], {});
    expect(command.options.rie).toMatchObject({
      handlerFile: 'h.mjs',
      exportName: 'handler',
      rieBin: '/opt/rie',
    });
    expect(command.options.brokers).toBe('127.0.0.1:9092');
  });

  it("--ordering is the handler's ordering, checked here", () => {
    expect(parseCliArgs(['h.mjs', '-t', 'x', '--ordering', 'key'], {}).ordering).toBe('key');
    expect(parseCliArgs(['h.mjs', '-t', 'x'], {}).ordering).toBeUndefined();
    expect(() => parseCliArgs(['h.mjs', '-t', 'x', '--ordering', 'keys'], {})).toThrow(/--ordering/);
  });

  it('rejects missing or malformed arguments with typed errors', () => {
    for (const argv of [
      [],
      ['h.js'],
      ['h.js', '-t', 'x', '--batch-size', 'ten'],
      ['h.js', '-t', 'x', '--nope'],
      ['a.js', 'b.js', '-t', 'x'],
    ]) {
      expect(() => parseCliArgs(argv, {}), argv.join(' ')).toThrow(InvalidTestInputError);
    }
    expect(parseCliArgs(['--help'], {}).help).toBe(true);
  });
});
