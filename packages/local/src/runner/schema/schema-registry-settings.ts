import { InvalidTestInputError } from '@kafka-lambda/testing';
import type { EsmSchemaRegistryOptions } from '../types.js';
import type { SchemaRegistrySettings } from './esm-record-decoder.js';

/**
 * Checks the `schemaRegistry` option (the ESM's `SchemaRegistryConfig`) and applies its defaults:
 * `JSON` records, the value decoded. Throws {@link InvalidTestInputError} naming the offending field.
 *
 * @example
 * ```ts
 * schemaRegistrySettings({ uri: 'http://127.0.0.1:8081/apis/ccompat/v7', attributes: ['KEY', 'VALUE'] });
 * ```
 */
export function schemaRegistrySettings(options: EsmSchemaRegistryOptions): SchemaRegistrySettings {
  const path = 'schemaRegistry';
  if (typeof options !== 'object' || options === null) throw new InvalidTestInputError(path, 'an object');
  const { uri, registry } = options;
  if ((uri === undefined) === (registry === undefined))
    throw new InvalidTestInputError(path, 'exactly one of `uri` and `registry`');
  if (uri !== undefined) {
    if (typeof uri !== 'string' || !/^https?:\/\//.test(uri))
      throw new InvalidTestInputError(
        `${path}.uri`,
        uri.startsWith?.('arn:aws:glue:')
          ? 'a Confluent-compatible registry URL (a Glue registry has no local equivalent)'
          : 'an http(s) URL of a Confluent-compatible registry',
      );
  } else if (typeof registry?.getSchemaById !== 'function')
    throw new InvalidTestInputError(`${path}.registry`, 'a registry client with getSchemaById');
  const eventRecordFormat = options.eventRecordFormat ?? 'JSON';
  if (eventRecordFormat !== 'JSON' && eventRecordFormat !== 'SOURCE')
    throw new InvalidTestInputError(`${path}.eventRecordFormat`, 'JSON or SOURCE');
  const attributes = options.attributes ?? ['VALUE'];
  if (
    !Array.isArray(attributes) ||
    attributes.length === 0 ||
    attributes.some((a) => a !== 'KEY' && a !== 'VALUE')
  )
    throw new InvalidTestInputError(`${path}.attributes`, 'a non-empty list of KEY and VALUE');
  return {
    registry: uri ?? registry!,
    eventRecordFormat,
    key: attributes.includes('KEY'),
    value: attributes.includes('VALUE'),
  };
}
