import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import type { DecodedFields } from '../schema/esm-record-decoder.js';
import { type EventPattern, matchesPattern, validatePattern } from './event-pattern.js';

/** An ESM's `FilterCriteria`, as the API, the CLI and templates write it. */
export interface FilterCriteria {
  readonly Filters: ReadonlyArray<{ readonly Pattern: string }>;
}

/** A compiled `FilterCriteria`: false for a record the function must not see. */
export type RecordFilter = (record: KafkaEventRecord, decoded?: DecodedFields) => boolean;

/**
 * Compiles `FilterCriteria` for Kafka records: a record is sent to the function when it matches at
 * least one filter. Kafka mappings filter on `value`
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-filtering.html): the value, UTF-8, is matched
 * as JSON when it parses (`{ "value": { "device_ID": [{ "prefix": "AB" }] } }`), else as a plain
 * string (`{ "value": [{ "anything-but": ["error"] }] }`). With the schema registry integration the
 * filters see the decoded fields (`decoded`), and may name `key` when it decodes keys
 * (`keyDecoded`). Throws {@link InvalidTestInputError} naming the filter and path of a pattern that
 * is not JSON, uses an unknown operator, or a field other than `value` (and `key` with keys decoded).
 *
 * @example
 * ```ts
 * const keep = recordFilter({ Filters: [{ Pattern: '{"value":{"kind":["trade"]}}' }] });
 * keep(record); // false for a record whose value is {"kind":"quote"}
 * ```
 */
export function recordFilter(
  criteria: FilterCriteria,
  path = 'filterCriteria',
  { keyDecoded = false }: { keyDecoded?: boolean } = {},
): RecordFilter {
  if (!criteria || !Array.isArray(criteria.Filters) || criteria.Filters.length === 0)
    throw new InvalidTestInputError(`${path}.Filters`, 'a non-empty array of { Pattern }');
  const patterns: EventPattern[] = criteria.Filters.map((filter, i) => {
    const at = `${path}.Filters[${i}].Pattern`;
    let pattern: unknown;
    try {
      pattern = typeof filter?.Pattern === 'string' ? JSON.parse(filter.Pattern) : filter?.Pattern;
    } catch {
      throw new InvalidTestInputError(at, 'a JSON pattern');
    }
    validatePattern(pattern, at);
    for (const field of Object.keys(pattern))
      if (field !== 'value' && field !== '$or' && !(field === 'key' && keyDecoded))
        throw new InvalidTestInputError(
          `${at}.${field}`,
          field === 'key'
            ? 'value (a filter on key needs the schema registry integration to decode keys: attributes KEY)'
            : 'value (Kafka event source mappings filter on value, and on key when the schema registry decodes keys)',
        );
    return pattern;
  });
  return (record, decoded) => {
    const data: Record<string, unknown> = {
      value: decoded && 'value' in decoded ? decoded.value : decodeValue(record.value),
    };
    if (decoded && 'key' in decoded) data.key = decoded.key;
    return patterns.some((pattern) => matchesPattern(pattern, data));
  };
}

/** The record's value as filtering sees it: parsed JSON, else the UTF-8 string; null for a tombstone. */
function decodeValue(value: string | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  const text = Buffer.from(value, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
