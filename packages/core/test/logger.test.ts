import { jsonLogger } from '@kafka-lambda/core';
import { expect, it } from 'vitest';

it('writes one JSON object per line, honours the level and flattens errors', () => {
  const lines: string[] = [];
  const logger = jsonLogger({ level: 'info', write: (line) => lines.push(line), context: { service: 's' } });
  logger.debug('hidden');
  logger.error('failed', { offset: 3, error: new TypeError('bad') });
  expect(lines).toHaveLength(1);
  const entry = JSON.parse(lines[0]!);
  expect(entry).toMatchObject({
    level: 'ERROR',
    message: 'failed',
    service: 's',
    offset: 3,
    error: { name: 'TypeError', message: 'bad' },
  });
  expect(entry.error.stack).toContain('TypeError: bad');
});
