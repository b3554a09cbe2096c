import { InvalidTestInputError } from '@kafka-lambda/testing';
import type { EventSourceOptions, StartingPosition } from './types.js';

/**
 * Checks `startingPosition` and `startingPositionTimestamp` as AWS does: `AT_TIMESTAMP` needs the
 * timestamp, and the timestamp needs `AT_TIMESTAMP`. Default `TRIM_HORIZON`. Throws
 * {@link InvalidTestInputError} naming the option.
 *
 * @example
 * ```ts
 * resolveStartingPosition({ startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: 1767225600 });
 * // { startingPosition: 'AT_TIMESTAMP', timestampMs: 1767225600000 }
 * ```
 */
export function resolveStartingPosition(
  options: Pick<EventSourceOptions, 'startingPosition' | 'startingPositionTimestamp'>,
): { startingPosition: StartingPosition; timestampMs: number | undefined } {
  const startingPosition = options.startingPosition ?? 'TRIM_HORIZON';
  if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition))
    throw new InvalidTestInputError('startingPosition', 'TRIM_HORIZON, LATEST or AT_TIMESTAMP');
  const timestamp = options.startingPositionTimestamp;
  if (startingPosition !== 'AT_TIMESTAMP') {
    if (timestamp !== undefined)
      throw new InvalidTestInputError(
        'startingPositionTimestamp',
        'no timestamp unless startingPosition is AT_TIMESTAMP',
      );
    return { startingPosition, timestampMs: undefined };
  }
  const timestampMs =
    timestamp instanceof Date ? timestamp.getTime() : typeof timestamp === 'number' ? timestamp * 1000 : NaN;
  if (!Number.isFinite(timestampMs) || timestampMs < 0)
    throw new InvalidTestInputError(
      'startingPositionTimestamp',
      'Unix time in seconds or a Date (AT_TIMESTAMP needs one)',
    );
  return { startingPosition, timestampMs };
}
