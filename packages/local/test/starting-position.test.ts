import { InvalidTestInputError } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/runner/cli-options.js';
import type { NativeTopicPartition } from '../src/runner/kafka-source.js';
import { resolveSettings } from '../src/runner/run-event-source.js';
import { resolveStartingPosition } from '../src/runner/starting-position.js';
import { templateEsm } from '../src/runner/template/template-esm.js';
import { offsetsAtTimestamp } from '../src/runner/timestamp-assignment.js';

// StartingPosition AT_TIMESTAMP; on a real broker in esm-controls.int.test.ts.
type Offsets = Array<NativeTopicPartition & { offset?: number }>;

/** A consumer whose group has `committed` offsets and whose partitions answer offsetsForTimes with `byTime`. */
function fakeConsumer(committed: Record<number, number>, byTime: Record<number, number>) {
  const asked: Offsets[] = [];
  return {
    asked,
    committed(partitions: NativeTopicPartition[], _t: number, cb: (e: null, o: Offsets) => void) {
      cb(
        null,
        partitions.map((p) => ({ ...p, offset: committed[p.partition] ?? -1001 })),
      );
    },
    offsetsForTimes(
      partitions: Array<NativeTopicPartition & { offset: number }>,
      _t: number,
      cb: (e: null, o: Array<NativeTopicPartition & { offset: number }>) => void,
    ) {
      asked.push(partitions);
      cb(
        null,
        partitions.map((p) => ({ ...p, offset: byTime[p.partition] ?? -1 })),
      );
    },
  };
}

describe('StartingPosition AT_TIMESTAMP', () => {
  it('a partition without a committed offset starts at offsetsForTimes’ answer, one with resumes where it was, none newer means the end', async () => {
    const consumer = fakeConsumer({ 1: 7 }, { 0: 3 });
    const assignment = [0, 1, 2].map((partition) => ({ topic: 't', partition }));
    const at = Date.parse('2026-12-01T00:00:00Z');
    expect(await offsetsAtTimestamp(consumer, assignment, at)).toEqual([
      { topic: 't', partition: 0, offset: 3 },
      { topic: 't', partition: 1 },
      { topic: 't', partition: 2, offset: -1 },
    ]);
    // Only the new partitions are looked up, with the timestamp in ms as the "offset".
    expect(consumer.asked).toEqual([
      [
        { topic: 't', partition: 0, offset: at },
        { topic: 't', partition: 2, offset: at },
      ],
    ]);
  });

  it('the option: seconds as AWS takes them or a Date; needed by AT_TIMESTAMP and only there', () => {
    expect(
      resolveStartingPosition({
        startingPosition: 'AT_TIMESTAMP',
        startingPositionTimestamp: 1_767_225_600.5,
      }),
    ).toEqual({
      startingPosition: 'AT_TIMESTAMP',
      timestampMs: 1_767_225_600_500,
    });
    expect(
      resolveStartingPosition({ startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: new Date(5) })
        .timestampMs,
    ).toBe(5);
    const base = { brokers: 'b:9092', topics: ['t'], handler: () => undefined };
    expect(() => resolveSettings({ ...base, startingPosition: 'AT_TIMESTAMP' })).toThrow(
      /startingPositionTimestamp/,
    );
    expect(() =>
      resolveSettings({ ...base, startingPosition: 'LATEST', startingPositionTimestamp: 1 }),
    ).toThrow(InvalidTestInputError);
    expect(() => resolveSettings({ ...base, startingPosition: 'EARLIEST' as never })).toThrow(
      /startingPosition/,
    );
  });

  it('the template’s StartingPositionTimestamp, and the flags', () => {
    const template = (extra: string) => `
Resources:
  Fn: { Type: AWS::Lambda::Function, Properties: { Handler: i.h } }
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: { FunctionName: !Ref Fn, Topics: [t], SelfManagedEventSource: {}, StartingPosition: AT_TIMESTAMP${extra} }
`;
    expect(templateEsm(template(', StartingPositionTimestamp: 1767225600'), 't.yaml').options).toMatchObject({
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestamp: 1_767_225_600,
    });
    expect(
      templateEsm(template(', StartingPositionTimestamp: 1767225600'), 't.yaml').notEmulated.join(),
    ).not.toMatch(/StartingPosition/);
    expect(() => templateEsm(template(''), 't.yaml')).toThrow(/StartingPositionTimestamp/);
    const iso = parseCliArgs(
      [
        'h.js',
        '-t',
        'x',
        '--starting-position',
        'AT_TIMESTAMP',
        '--starting-position-timestamp',
        '2026-12-01T00:00:00Z',
      ],
      {},
    ).options;
    expect(iso.startingPositionTimestamp).toEqual(new Date('2026-12-01T00:00:00Z'));
    expect(
      parseCliArgs(
        [
          'h.js',
          '-t',
          'x',
          '--starting-position',
          'AT_TIMESTAMP',
          '--starting-position-timestamp',
          '1767225600',
        ],
        {},
      ).options.startingPositionTimestamp,
    ).toBe(1_767_225_600);
    expect(() => parseCliArgs(['h.js', '-t', 'x', '--starting-position', 'AT_TIMESTAMP'], {})).toThrow(
      /--starting-position-timestamp/,
    );
    expect(() =>
      parseCliArgs(
        [
          'h.js',
          '-t',
          'x',
          '--starting-position',
          'AT_TIMESTAMP',
          '--starting-position-timestamp',
          'yesterday',
        ],
        {},
      ),
    ).toThrow(/--starting-position-timestamp/);
  });
});
