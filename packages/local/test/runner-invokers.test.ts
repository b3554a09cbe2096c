import { ESM_FAILURE_HEADERS, type KafkaEvent, parseSinkConnectorEvent } from '@kafka-lambda/core/events';
import { mskEvent } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/runner/cli-options.js';
import { FailureReplayInvoker, ReplayReportedError } from '../src/runner/failure-replay-invoker.js';
import { resolveSettings, wrapInvoker } from '../src/runner/run-event-source.js';
import { SinkConnectorInvoker, toSinkConnectorEvent } from '../src/runner/sink-connector-invoker.js';
import type { Invoker } from '../src/runner/types.js';

function recording(answer: (event: unknown) => unknown): Invoker & { events: unknown[] } {
  const events: unknown[] = [];
  return {
    events,
    async invoke(event) {
      events.push(event);
      return answer(event);
    },
    async close() {},
  };
}

const twoPartitions = () =>
  mskEvent(
    [
      { key: 'AAPL', value: { qty: 1 } },
      { key: 'MSFT', value: 'not json' },
      { partition: 1, key: null, value: null },
    ],
    { topic: 'trades' },
  );

describe('SinkConnectorInvoker', () => {
  it('invokes once per partition with the connector payload, which core parses back to the same bytes', async () => {
    const inner = recording(() => ({ ok: true }));
    const invoker = new SinkConnectorInvoker(inner);
    await expect(invoker.invoke(twoPartitions(), 1000)).resolves.toBeUndefined();
    expect(inner.events).toHaveLength(2);
    const [first] = inner.events as Array<Array<{ payload: Record<string, unknown> }>>;
    expect(first!.map((r) => [r.payload.key, r.payload.value])).toEqual([
      ['AAPL', { qty: 1 }],
      ['MSFT', 'not json'],
    ]);
    const esm = twoPartitions();
    const [back] = parseSinkConnectorEvent(toSinkConnectorEvent(esm.records['trades-0']!));
    expect(back!.records.map((r) => r.value)).toEqual(esm.records['trades-0']!.map((r) => r.value));
    expect(invoker.responses).toEqual([{ ok: true }, { ok: true }]);
  });

  it('a failed partition is reported at its first offset; all failed rethrows', async () => {
    const failing = recording((event) => {
      if ((event as Array<{ payload: { partition: number } }>)[0]!.payload.partition === 1)
        throw new Error('p1');
    });
    await expect(new SinkConnectorInvoker(failing).invoke(twoPartitions(), 1000)).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'trades-1', offset: 100 } }],
    });
    const broken = recording(() => {
      throw new Error('down');
    });
    await expect(new SinkConnectorInvoker(broken).invoke(twoPartitions(), 1000)).rejects.toThrow('down');
  });

  it('sink mode: batch size 20 by default, partial answers honoured', () => {
    const settings = resolveSettings({
      brokers: 'b:9092',
      topics: ['t'],
      handler: () => undefined,
      mode: 'sink-connector',
    });
    expect(settings.batchSize).toBe(20);
    expect(settings.reportBatchItemFailures).toBe(true);
    expect(() =>
      resolveSettings({ brokers: 'b', topics: ['t'], handler: () => undefined, mode: 'x' as 'esm' }),
    ).toThrow(expect.objectContaining({ path: 'mode' }));
  });
});

describe('FailureReplayInvoker', () => {
  // One on-failure message as AWS documents it (kafka-on-failure-destination.html), here as the value of
  // a record of the on-failure topic.
  const failure = {
    requestContext: {
      requestId: 'r-1',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2019-11-14T18:16:05.568Z',
    KafkaBatchInfo: { batchSize: 1, recordInfo: { offset: '7', timestamp: '2019-11-14T18:16:04.835Z' } },
    payload: mskEvent([{ key: 'k', value: 'v', offset: 7 }], { topic: 'orders' }),
  };

  it('hands the handler the original records with their failure metadata', async () => {
    const inner = recording(() => undefined);
    const onFailureTopic = mskEvent([{ key: 'k', value: failure }], { topic: 'orders.failures' });
    await new FailureReplayInvoker(inner).invoke(onFailureTopic, 1000);
    const event = inner.events[0] as KafkaEvent;
    expect(Object.keys(event.records)).toEqual(['orders-0']);
    expect(event.records['orders-0']![0]!.offset).toBe(7);
    const names = event.records['orders-0']![0]!.headers!.map((h) => Object.keys(h)[0]);
    expect(names).toContain(ESM_FAILURE_HEADERS.condition);
  });

  it('a report answer names source offsets, so the replayed batch fails whole', async () => {
    const inner = recording(() => ({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders-0', offset: 7 } }],
    }));
    const invoker = wrapInvoker(inner, { fromFailures: true });
    await expect(invoker.invoke(mskEvent([{ value: failure }], { topic: 'f' }), 1000)).rejects.toBeInstanceOf(
      ReplayReportedError,
    );
  });
});

describe('kafka-lambda-local flags', () => {
  it('--sink-connector and --from-failures reach the runner options', () => {
    const { options } = parseCliArgs(['h.js', '-t', 'x', '--sink-connector', '--from-failures'], {});
    expect(options.mode).toBe('sink-connector');
    expect(options.fromFailures).toBe(true);
    expect(parseCliArgs(['h.js', '-t', 'x'], {}).options).toMatchObject({ mode: 'esm', fromFailures: false });
  });
});
