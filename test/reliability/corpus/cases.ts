// The malformed payloads of corpus/malformed-payloads.json, built from rules so they can be reviewed
// and regenerated: `pnpm exec vitest run --project unit test/reliability/corpus` writes the file when
// KAFKA_LAMBDA_WRITE_CORPUS=1 (otherwise the test replays the file as kept in the repo).
import { deflateSync } from 'node:zlib';
import {
  AVRO_GUID,
  AVRO_ID,
  GLUE_AVRO_UUID,
  JSON_ID,
  PROTOBUF_GUID,
  PROTOBUF_ID,
} from '../../support/stub-registry.js';

export type CorpusSerde = 'avro' | 'protobuf' | 'json';

export interface CorpusCase {
  name: string;
  serde: CorpusSerde;
  /** base64 of the key/value bytes */
  bytes: string;
  /** __value_schema_id header (base64), for header mode */
  header?: string;
  /** ESM schema-registry integration metadata and record format */
  esm?: { schemaId: string; format: 'JSON' | 'SOURCE' | 'auto' };
}

const b = (...parts: Array<number[] | Buffer | string>) =>
  Buffer.concat(
    parts.map((p) => (Buffer.isBuffer(p) ? p : typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))),
  );
const frame = (id: number, ...body: Array<number[] | Buffer | string>) => {
  const head = Buffer.alloc(5);
  head.writeInt32BE(id, 1);
  return b(head, ...body);
};
const uuidBytes = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex');
const guidHeader = (uuid: string, ...rest: number[][]) => b([1], uuidBytes(uuid), ...rest);

/** A valid Avro encoding of the stub registry's Trade record. */
export const validAvroTrade = b(
  [0x04],
  'AB', // symbol
  [0x0a], // qty 5
  [0x02, 0x01], // price: 1 byte
  [0x02, 0x02],
  'x',
  [0x00], // tags ["x"]
  [0x02, 0x02],
  'k',
  [0x02, 0x00], // attrs {k: 1}
  [0x00], // side BUY
  [0x00], // note null
  [0x00], // at 0
  Buffer.alloc(8), // ratio 0
  [1, 2, 3, 4], // id
);

export function corpusCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const add = (name: string, serde: CorpusSerde, bytes: Buffer, extra: Partial<CorpusCase> = {}) =>
    cases.push({ name, serde, bytes: bytes.toString('base64'), ...extra });

  // Confluent framing
  for (const serde of ['avro', 'protobuf', 'json'] as const) {
    add(`${serde}: empty payload`, serde, b([]));
    for (let magic = 1; magic < 256; magic += 17)
      add(`${serde}: magic byte 0x${magic.toString(16)}`, serde, b([magic, 0, 0, 0, 1, 2]));
    for (let len = 1; len < 5; len++)
      add(`${serde}: Confluent header truncated to ${len} bytes`, serde, b([0, 0, 0, 0].slice(0, len)));
    for (const id of [0x80000000, 0xffffffff, 0x80000001]) {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(id, 1);
      add(`${serde}: negative schema id 0x${id.toString(16)}`, serde, b(head, [0]));
    }
    for (const id of [0, 4, 99, 123_456, 0x7fffffff])
      add(`${serde}: unknown schema id ${id}`, serde, frame(id, [0, 0]));
  }

  // Avro bodies (schema 1)
  for (let len = 0; len < validAvroTrade.length; len++)
    add(
      `avro: Trade truncated to ${len} of ${validAvroTrade.length} bytes`,
      'avro',
      frame(AVRO_ID, validAvroTrade.subarray(0, len)),
    );
  for (const extra of [[0], [1, 2, 3], [0xff]])
    add(
      `avro: Trade with trailing bytes ${Buffer.from(extra).toString('hex')}`,
      'avro',
      frame(AVRO_ID, validAvroTrade, extra),
    );
  add('avro: negative string length', 'avro', frame(AVRO_ID, [0x03], 'AB'));
  add('avro: string length past the end', 'avro', frame(AVRO_ID, [0x7e], 'AB'));
  add(
    'avro: overlong varint',
    'avro',
    frame(AVRO_ID, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
  );
  add('avro: JSON instead of Avro', 'avro', frame(AVRO_ID, '{"symbol":"AB"}'));
  add('avro: unknown union branch', 'avro', frame(AVRO_ID, validAvroTrade.subarray(0, 16), [0x08]));

  // Protobuf message indexes and bodies (schema 2)
  const pb = (indexes: number[], ...body: Array<number[] | Buffer | string>) =>
    frame(PROTOBUF_ID, indexes, ...body);
  add('protobuf: no message indexes at all', 'protobuf', frame(PROTOBUF_ID));
  for (const count of [2, 10, 40, 100])
    add(`protobuf: index count ${count / 2} with no indexes`, 'protobuf', pb([count]));
  for (const count of [1, 3, 5, 0x7f])
    add(`protobuf: negative index count (zigzag ${count})`, 'protobuf', pb([count]));
  add('protobuf: negative index', 'protobuf', pb([2, 3]));
  add(
    'protobuf: index varint longer than 5 bytes',
    'protobuf',
    pb([0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
  );
  add('protobuf: truncated index varint', 'protobuf', pb([2, 0x80]));
  for (const path of [
    [2, 6],
    [4, 0, 6],
    [2, 40],
    [4, 2, 2],
    [6, 0, 0, 0],
  ])
    add(`protobuf: indexes [${path.join(',')}] name no message`, 'protobuf', pb(path, [0x0a, 0x01, 0x41]));
  for (const len of [5, 20, 127])
    add(`protobuf: length-delimited field of ${len} with 1 byte`, 'protobuf', pb([0], [0x0a, len, 0x41]));
  add('protobuf: truncated varint field', 'protobuf', pb([0], [0x10, 0xff, 0xff]));
  add('protobuf: truncated fixed32', 'protobuf', pb([0], [0x42, 0x03, 0x1d, 0x01, 0x02]));
  add('protobuf: truncated fixed64 (double)', 'protobuf', pb([0], [0x39, 0x01, 0x02, 0x03]));
  add('protobuf: nested message truncated', 'protobuf', pb([0], [0x42, 0x10, 0x0a, 0x05]));
  add('protobuf: end group without start', 'protobuf', pb([0], [0x0c]));

  // JSON (schema 3, validating)
  const texts = [
    '{',
    '}',
    '{"symbol":',
    'nul',
    'tru',
    '[1,',
    '{"a" 1}',
    "{'symbol':'x'}",
    '"unterminated',
    '{"symbol":"x",}',
    '\u0000',
    '01',
    '1e',
    '-',
    '{"symbol":"\\x"}',
    'NaN',
    'Infinity',
    'undefined',
    '{"symbol":"x"}{"symbol":"y"}',
    '\uFEFF{',
  ];
  texts.forEach((text, i) => {
    add(`json: invalid JSON #${i} ${JSON.stringify(text).slice(0, 20)}`, 'json', frame(JSON_ID, text));
  });
  const invalid = [
    {},
    { symbol: 1 },
    { symbol: null },
    { symbol: 'x', qty: -1 },
    { symbol: 'x', qty: 1.5 },
    { symbol: 'x', qty: '1' },
    [],
    'text',
    42,
    null,
  ];
  invalid.forEach((value, i) => {
    add(
      `json: schema violation #${i} ${JSON.stringify(value)}`,
      'json',
      frame(JSON_ID, JSON.stringify(value)),
    );
  });
  add('json: invalid UTF-8', 'json', frame(JSON_ID, [0xc3, 0x28]));

  // Header mode (__value_schema_id)
  for (const serde of ['avro', 'protobuf', 'json'] as const) {
    const header = (h: Buffer, name: string) =>
      add(`${serde} header mode: ${name}`, serde, validAvroTrade, { header: h.toString('base64') });
    header(b([]), 'empty header');
    for (const magic of [2, 3, 0x7f, 0xff])
      header(b([magic], Buffer.alloc(16)), `magic byte 0x${magic.toString(16)}`);
    for (const len of [1, 8, 16]) header(b([1], Buffer.alloc(len - 1)), `GUID truncated to ${len} bytes`);
    header(b([0, 0, 0]), 'int id truncated');
    header(b([0, 0xff, 0xff, 0xff, 0xff]), 'negative int id');
    header(guidHeader('00000000-0000-4000-8000-00000000dead'), 'unknown GUID');
  }
  add('protobuf header mode: GUID without message indexes', 'protobuf', b([0x0a, 0x01, 0x41]), {
    header: guidHeader(PROTOBUF_GUID).toString('base64'),
  });
  add('protobuf header mode: bad index count', 'protobuf', b([0x0a, 0x01, 0x41]), {
    header: guidHeader(PROTOBUF_GUID, [40]).toString('base64'),
  });
  add('protobuf header mode: negative index', 'protobuf', b([0x0a, 0x01, 0x41]), {
    header: guidHeader(PROTOBUF_GUID, [2, 1]).toString('base64'),
  });
  add('avro header mode: valid GUID, truncated payload', 'avro', validAvroTrade.subarray(0, 7), {
    header: guidHeader(AVRO_GUID).toString('base64'),
  });

  // AWS Glue (avro serde with a Glue resolver)
  const glue = (compression: number, uuid: string, body: Buffer) =>
    b([3, compression], uuidBytes(uuid), body);
  for (let len = 1; len < 18; len += 4)
    add(`avro glue: header truncated to ${len} bytes`, 'avro', b([3], Buffer.alloc(len - 1)));
  for (const compression of [1, 2, 4, 6, 0xff])
    add(
      `avro glue: compression 0x${compression.toString(16)}`,
      'avro',
      glue(compression, GLUE_AVRO_UUID, validAvroTrade),
    );
  for (const body of [
    b([1, 2, 3]),
    b([0x78, 0x9c]),
    deflateSync(validAvroTrade).subarray(0, 6),
    b([0x78, 0x9c, 0xff, 0xff]),
  ])
    add(`avro glue: corrupt zlib (${body.length} bytes)`, 'avro', glue(5, GLUE_AVRO_UUID, body));
  add(
    'avro glue: unknown schema version',
    'avro',
    glue(0, '00000000-0000-4000-8000-0000000000ff', validAvroTrade),
  );
  add(
    'avro glue: zlib of a truncated Trade',
    'avro',
    glue(5, GLUE_AVRO_UUID, deflateSync(validAvroTrade.subarray(0, 9))),
  );
  add('avro glue: truncated Trade', 'avro', glue(0, GLUE_AVRO_UUID, validAvroTrade.subarray(0, 9)));

  // ESM schema-registry integration
  for (const text of ['{', '', 'not json', '{"a":', '\u0000'])
    add(`json ESM JSON format: ${JSON.stringify(text)}`, 'json', Buffer.from(text), {
      esm: { schemaId: String(JSON_ID), format: 'JSON' },
    });
  for (const schemaId of ['999', '00000000-0000-4000-8000-00000000beef'])
    add(`avro ESM SOURCE: unknown schema ${schemaId}`, 'avro', validAvroTrade, {
      esm: { schemaId, format: 'SOURCE' },
    });
  add('avro ESM SOURCE: truncated Trade', 'avro', validAvroTrade.subarray(0, 5), {
    esm: { schemaId: String(AVRO_ID), format: 'SOURCE' },
  });
  add('avro ESM auto: "{" then binary', 'avro', b('{', [0xff, 0x00]), {
    esm: { schemaId: String(AVRO_ID), format: 'auto' },
  });
  return cases;
}
