import { InvalidPayloadError, InvalidSchemaMetadataError } from './errors.js';
import type { WireFormat } from './format.js';
import { readMessageIndexes } from './message-indexes.js';

/** How the ESM's own schema-registry integration delivers records; see the README. */
export type EsmRecordFormat = 'JSON' | 'SOURCE' | 'auto';

/**
 * The ESM's schema-registry integration as a wire format: the record carries `schemaMetadata` and
 * either JSON (`EventRecordFormat: JSON`, decoded here) or the source bytes with the schema id
 * stripped (`SOURCE`), whose schema is the metadata's `schemaId`: a number is a registry id, a UUID a
 * Glue schema version (`glue`) or else a registry GUID. Metadata without a `schemaId` is an
 * `InvalidSchemaMetadataError`, never a registry request for "undefined".
 *
 * A Confluent registry's Protobuf record in `SOURCE` format keeps its message indexes: the ESM strips
 * the 5-byte prefix (magic byte and schema id) only. They are read here, as after a Confluent prefix,
 * so the indexes pick the message; broken or missing ones are a `WireFormatError` naming the record.
 *
 * @example
 * ```ts
 * const esm = esmMetadataFormat('auto', false);
 * esm.read(Buffer.from('{"a":1}'), ctx, frame, false); // frame.kind === 'value', frame.value = { a: 1 }
 * ```
 */
export function esmMetadataFormat(recordFormat: EsmRecordFormat, glue: boolean): WireFormat {
  return {
    read(bytes, ctx, frame, protobuf) {
      const metadata = ctx?.schemaMetadata;
      if (!metadata) return false;
      if (recordFormat === 'JSON') {
        try {
          frame.value = JSON.parse(bytes.toString('utf8'));
        } catch {
          // Not the parser's message: it quotes the record's text, which has no place in logs.
          throw new InvalidPayloadError(
            `invalid JSON record (ESM record format JSON, ${bytes.length} bytes)`,
            metadata.schemaId,
            ctx,
          );
        }
        frame.kind = 'value';
        return true;
      }
      if (recordFormat === 'auto' && bytes[0] === 0x7b /* { */) {
        try {
          frame.value = JSON.parse(bytes.toString('utf8'));
          frame.kind = 'value';
          return true;
        } catch {
          // Not JSON after all: a binary payload that happens to start with 0x7b.
        }
      }
      const schemaId = metadata.schemaId as string | null | undefined;
      if (typeof schemaId !== 'string' || schemaId === '') {
        throw new InvalidSchemaMetadataError(metadata.dataFormat, ctx);
      }
      if (/^\d+$/.test(schemaId)) {
        frame.kind = 'id';
        frame.id = Number(schemaId);
      } else {
        frame.kind = glue ? 'glue' : 'guid';
        frame.key = schemaId;
      }
      frame.payload = bytes;
      if (protobuf && frame.kind !== 'glue') {
        // Read from byte 0 as a message, the indexes would decode as another message's fields.
        const { indexes, next } = readMessageIndexes(bytes, 0, ctx);
        frame.start = next;
        frame.indexes = indexes;
      } else {
        frame.start = 0;
        frame.indexes = undefined;
      }
      return true;
    },
  };
}
