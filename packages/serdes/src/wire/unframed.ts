import type { WireFormat } from './format.js';

/**
 * No framing at all: the payload is the bare Avro or Protobuf encoding, as written by producers
 * without a registry (Powertools for AWS Lambda's default mode). Every record decodes with the schema
 * the user gave; nothing is fetched. Chosen explicitly with `wireFormat: 'none'`: it cannot be told
 * apart from a framed payload by its bytes.
 *
 * @example
 * ```ts
 * const frame = newFrame();
 * unframedFormat.read(Buffer.from([0x08, 0x41]), undefined, frame, false); // frame.kind === 'local'
 * ```
 */
export const unframedFormat: WireFormat = {
  read(bytes, _ctx, frame) {
    frame.kind = 'local';
    frame.payload = bytes;
    frame.start = 0;
    frame.indexes = undefined;
    return true;
  },
};
