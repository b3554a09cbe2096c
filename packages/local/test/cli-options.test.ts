import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';
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

describe('kafka-lambda-local schema registry flags', () => {
  it('--schema-registry-uri turns the integration on; format and attributes as the API spells them', () => {
    const { options } = parseCliArgs(
      [
        'h.js',
        '-t',
        'x',
        '--schema-registry-uri',
        'http://r:8081',
        '--event-record-format',
        'SOURCE',
        '--schema-validation-attribute',
        'key,value',
      ],
      {},
    );
    expect(options.schemaRegistry).toEqual({
      uri: 'http://r:8081',
      eventRecordFormat: 'SOURCE',
      attributes: ['KEY', 'VALUE'],
    });
    expect(parseCliArgs(['h.js', '-t', 'x'], {}).options.schemaRegistry).toBeUndefined();
  });

  it('refuses a format without a registry, and unknown values', () => {
    expect(() => parseCliArgs(['h.js', '-t', 'x', '--event-record-format', 'JSON'], {})).toThrow(
      /--schema-registry-uri/,
    );
    expect(() =>
      parseCliArgs(
        ['h.js', '-t', 'x', '--schema-registry-uri', 'http://r', '--event-record-format', 'AVRO'],
        {},
      ),
    ).toThrow(InvalidTestInputError);
    expect(() =>
      parseCliArgs(
        ['h.js', '-t', 'x', '--schema-registry-uri', 'http://r', '--schema-validation-attribute', 'HEADERS'],
        {},
      ),
    ).toThrow(/--schema-validation-attribute/);
  });
});

describe('kafka-lambda-local --from-failures with a template', () => {
  it('drops the template’s schema registry integration: the on-failure messages are JSON, not registry-framed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'h27-cli-'));
    const file = path.join(dir, 'template.yaml');
    writeFileSync(
      file,
      `Resources:
  Fn: { Type: AWS::Lambda::Function, Properties: { Handler: i.h } }
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      Topics: [t]
      SelfManagedEventSource: {}
      SelfManagedKafkaEventSourceConfig: { SchemaRegistryConfig: { SchemaRegistryURI: https://sr } }
`,
    );
    expect(parseCliArgs(['h.js', '--template', file], {}).options.schemaRegistry).toMatchObject({
      uri: 'https://sr',
    });
    expect(
      parseCliArgs(['h.js', '--template', file, '--from-failures', '-t', 't.failures'], {}).options
        .schemaRegistry,
    ).toBeUndefined();
  });
});
