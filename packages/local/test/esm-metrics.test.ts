import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/runner/cli-options.js';
import { InProcessInvoker } from '../src/runner/in-process-invoker.js';
import { resolveSettings, startLoop } from '../src/runner/run-event-source.js';
import { templateEsm } from '../src/runner/template/template-esm.js';
import type { EventSourceOptions, LocalHandler } from '../src/runner/types.js';
import { MemorySource } from './helpers/memory-source.js';

// MetricsConfig; on a real broker (OffsetLag from the broker's watermarks) in esm-controls.int.test.ts.
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

async function runUntil(
  source: MemorySource,
  handler: LocalHandler,
  options: Partial<EventSourceOptions>,
  committed: number,
) {
  const documents: Array<Record<string, unknown>> = [];
  const settings = resolveSettings({
    brokers: 'memory:9092',
    topics: ['t'],
    handler,
    groupId: 'g',
    functionName: 'fn',
    batchWindowMs: 20,
    retryBackoffMs: 1,
    logger: silent,
    onMetrics: (document) => documents.push(document),
    ...options,
  });
  const loop = await startLoop(settings, source, new InProcessInvoker(handler, 'fn'));
  await loop.waitFor((stats) => stats.recordsCommitted === committed);
  expect(documents).toEqual([]); // emitted once, when the runner stops
  await loop.stop();
  return documents;
}

describe('MetricsConfig', () => {
  it('EventCount: polled, filtered out, invoked (retries included), failed-invoke, dropped and destination-delivered records, as one EMF document at stop', async () => {
    const source = new MemorySource();
    source.append('t', 0, ['a', 'skip', 'b', 'poison', 'c']);
    const handler = (event: KafkaEvent) => {
      const poison = Object.values(event.records)
        .flat()
        .find((r) => Buffer.from(r.value ?? '', 'base64').toString() === 'poison');
      return {
        batchItemFailures: poison ? [{ itemIdentifier: { partition: 't-0', offset: poison.offset } }] : [],
      };
    };
    const [document, ...others] = await runUntil(
      source,
      handler,
      {
        metrics: ['EventCount'],
        reportBatchItemFailures: true,
        maxRetries: 1,
        filterCriteria: { Filters: [{ Pattern: '{"value":[{"anything-but":["skip"]}]}' }] },
        onFailureDestination: 'arn:aws:s3:::failed',
        failureDir: mkdtempSync(path.join(tmpdir(), 'h27-metrics-')),
      },
      5,
    );
    expect(others).toEqual([]);
    // [a b poison c] reported at poison; the retry [poison c] reported again; both to the destination.
    expect(document).toMatchObject({
      FunctionName: 'fn',
      EventSourceMappingUUID: 'g',
      PolledEventCount: 5,
      FilteredOutEventCount: 1,
      InvokedEventCount: 6,
      FailedInvokeEventCount: 4,
      DroppedEventCount: 0,
      OnFailureDestinationDeliveredEventCount: 2,
    });
    expect(document?._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'kafka-lambda-local',
          Dimensions: [['FunctionName', 'EventSourceMappingUUID']],
          Metrics: expect.arrayContaining([{ Name: 'FailedInvokeEventCount', Unit: 'Count' }]),
        },
      ],
    });
  });

  it('EventCount: a batch that threw counts all its records as failed; records skipped after exhausted retries are dropped', async () => {
    const source = new MemorySource();
    source.append('t', 0, ['x', 'y']);
    const [document] = await runUntil(
      source,
      () => {
        throw new Error('down');
      },
      { metrics: ['EventCount'], maxRetries: 1, onRetriesExhausted: 'skip' },
      2,
    );
    expect(document).toMatchObject({
      PolledEventCount: 2,
      InvokedEventCount: 4,
      FailedInvokeEventCount: 4,
      DroppedEventCount: 2,
      OnFailureDestinationDeliveredEventCount: 0,
    });
  });

  it('KafkaMetrics: OffsetLag summed over the partitions the source reports, each beside it; none without a lag', async () => {
    class LaggingSource extends MemorySource {
      async offsetLag() {
        return [
          { topic: 't', partition: 0, lag: 0 },
          { topic: 't', partition: 1, lag: 7 },
        ];
      }
    }
    const source = new LaggingSource();
    source.append('t', 0, ['a']);
    const documents = await runUntil(source, () => undefined, { metrics: ['KafkaMetrics', 'EventCount'] }, 1);
    expect(documents).toHaveLength(2);
    expect(documents[1]).toMatchObject({ OffsetLag: 7, OffsetLagByPartition: { 't-0': 0, 't-1': 7 } });
    const plain = new MemorySource();
    plain.append('t', 0, ['a']);
    expect(await runUntil(plain, () => undefined, { metrics: ['KafkaMetrics'] }, 1)).toEqual([]);
  });

  it('ErrorCount is refused in code, named at start from a template; --metrics', () => {
    const base = { brokers: 'b:9092', topics: ['t'], handler: () => undefined };
    expect(() => resolveSettings({ ...base, metrics: ['ErrorCount' as never] })).toThrow(
      /ErrorCount is not emulated/,
    );
    const esm = templateEsm(
      `
Resources:
  Fn: { Type: AWS::Lambda::Function, Properties: { Handler: i.h } }
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: { FunctionName: !Ref Fn, Topics: [t], SelfManagedEventSource: {}, MetricsConfig: { Metrics: [EventCount, ErrorCount, KafkaMetrics] } }
`,
      't.yaml',
    );
    expect(esm.options.metrics).toEqual(['EventCount', 'KafkaMetrics']);
    expect(esm.notEmulated.filter((line) => line.startsWith('MetricsConfig'))).toEqual([
      'MetricsConfig.Metrics ErrorCount: not emitted (its metric names are not in the AWS documentation the runner follows); EventCount and KafkaMetrics are',
    ]);
    expect(
      parseCliArgs(['h.js', '-t', 't', '--metrics', 'EventCount,KafkaMetrics'], {}).options.metrics,
    ).toEqual(['EventCount', 'KafkaMetrics']);
  });
});
