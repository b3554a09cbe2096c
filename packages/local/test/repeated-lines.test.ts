import { describe, expect, it } from 'vitest';
import { RepeatedLines } from '../src/runner/repeated-lines.js';

describe('RepeatedLines: a client error repeated while a broker is away is one line and a count', () => {
  it('writes the first, counts the repeats, summarizes them when another line comes and on flush', () => {
    let now = Date.parse('2026-12-07T10:00:00Z');
    const written: Array<[string, Record<string, unknown>]> = [];
    const lines = new RepeatedLines(
      (message, fields) => written.push([message, fields]),
      30_000,
      () => now,
    );
    const down = 'all broker connections are down';
    for (let i = 0; i < 294; i++) {
      lines.write('kafka consumer reported an error', down, { error: down });
      now += 34; // 294 lines in 10 s, as seen
    }
    expect(written).toHaveLength(1);
    lines.write('kafka consumer reported an error', 'broker transport failure', {});
    expect(written).toHaveLength(3);
    expect(written[1]).toEqual([
      'kafka consumer reported an error (repeated)',
      { reason: down, repeats: 293, firstAt: '2026-12-07T10:00:00.000Z', lastAt: '2026-12-07T10:00:09.962Z' },
    ]);
    expect(written[2]![0]).toBe('kafka consumer reported an error');
    lines.flush();
    expect(written).toHaveLength(3); // nothing repeated since
  });

  it('while repeats go on, one summary every period; the rest on flush', () => {
    let now = 0;
    const written: string[] = [];
    const lines = new RepeatedLines(
      (message, fields) => written.push(`${message} ${fields.repeats ?? ''}`),
      30_000,
      () => now,
    );
    for (let i = 0; i <= 100; i++) {
      lines.write('m', 'k', {});
      now += 1_000;
    }
    // t=0 written; repeats at 1..30 s summarized at 30 s, 31..60 s at 60 s, 61..90 s at 90 s.
    expect(written).toEqual(['m ', 'm (repeated) 30', 'm (repeated) 30', 'm (repeated) 30']);
    lines.flush();
    expect(written.at(-1)).toBe('m (repeated) 10');
  });
});
