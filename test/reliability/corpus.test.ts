// Replays the corpus of malformed payloads (test/reliability/corpus/malformed-payloads.json, ≥200
// cases): through each serde alone, every case must end in the typed error recorded for it; through
// the handler (onError 'dead-letter'), every record is dead-lettered at the decode stage, none lost.
// Regenerate the file with KAFKA_LAMBDA_WRITE_CORPUS=1 after changing corpus/cases.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafkaHandler, DEAD_LETTER_HEADERS } from '@kafka-lambda/core';
import { avro, jsonSchema, protobuf, VALUE_SCHEMA_ID_HEADER } from '@kafka-lambda/serdes';
import { memoryProducer } from '@kafka-lambda/testing';
import { describe, expect, it } from 'vitest';
import { kafkaEvent, lambdaContext, rawRecord } from '../support/reliability.js';
import { context, stubGlue, stubRegistry } from '../support/stub-registry.js';
import { type CorpusCase, type CorpusSerde, corpusCases } from './corpus/cases.js';
import { isTypedError } from './wire-arbitraries.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus', 'malformed-payloads.json');
type Entry = CorpusCase & { expect: string };

function serdeFor(serde: CorpusSerde, esm?: CorpusCase['esm']) {
  const registry = stubRegistry();
  const options = { glue: stubGlue, ...(esm ? { esmRecordFormat: esm.format } : {}) };
  if (serde === 'avro') return avro(registry, options);
  if (serde === 'protobuf') return protobuf(registry, options);
  return jsonSchema(registry, { ...options, validate: true });
}

function contextOf(entry: CorpusCase) {
  return context({
    ...(entry.header ? { headers: [[VALUE_SCHEMA_ID_HEADER, Buffer.from(entry.header, 'base64')]] } : {}),
    ...(entry.esm
      ? { schemaMetadata: { dataFormat: entry.serde.toUpperCase(), schemaId: entry.esm.schemaId } }
      : {}),
  });
}

async function outcome(entry: CorpusCase): Promise<{ name: string; typed: boolean }> {
  try {
    const value = await serdeFor(entry.serde, entry.esm).deserialize(
      Buffer.from(entry.bytes, 'base64'),
      contextOf(entry),
    );
    return { name: `decoded ${JSON.stringify(value)?.slice(0, 60)}`, typed: false };
  } catch (error) {
    return { name: (error as Error).name, typed: isTypedError(error) };
  }
}

if (process.env.KAFKA_LAMBDA_WRITE_CORPUS === '1') {
  const entries: Entry[] = [];
  for (const entry of corpusCases()) {
    const { name, typed } = await outcome(entry);
    // Untyped today (a bug with a proposed fix): record what the fix makes of it.
    entries.push({ ...entry, expect: typed ? name : 'InvalidPayloadError' });
  }
  fs.writeFileSync(file, `${JSON.stringify(entries, null, 1)}\n`);
}

const corpus = JSON.parse(fs.readFileSync(file, 'utf8')) as Entry[];

describe('malformed payload corpus', () => {
  it('holds at least 200 distinct cases', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  it('each case ends in its typed error through the serde alone', async () => {
    const mismatches: string[] = [];
    for (const entry of corpus) {
      const { name, typed } = await outcome(entry);
      if (!typed || name !== entry.expect)
        mismatches.push(`${entry.name}: expected ${entry.expect}, got ${name}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('through the handler every case is dead-lettered at the decode stage (none lost, none crashing the batch)', async () => {
    for (const serde of ['avro', 'protobuf', 'json'] as const) {
      for (const esm of [false, true]) {
        const entries = corpus.filter((c) => c.serde === serde && Boolean(c.esm) === esm);
        if (entries.length === 0) continue;
        const producer = memoryProducer();
        const handler = createKafkaHandler({
          value: serdeFor(serde, esm ? entries[0]!.esm : undefined),
          producer,
          onError: { policy: 'dead-letter', topic: 'corpus.dlq' },
          logger: { debug() {}, info() {}, warn() {}, error() {} },
          process() {
            throw new Error('a malformed payload reached process()');
          },
        });
        const records = entries.map((entry, offset) => {
          const record = rawRecord(
            'corpus',
            0,
            offset,
            Buffer.from(entry.bytes, 'base64'),
            entry.header ? [{ [VALUE_SCHEMA_ID_HEADER]: [...Buffer.from(entry.header, 'base64')] }] : [],
          );
          return entry.esm
            ? {
                ...record,
                valueSchemaMetadata: { dataFormat: serde.toUpperCase(), schemaId: entry.esm.schemaId },
              }
            : record;
        });
        await handler(kafkaEvent(records), lambdaContext());
        expect(producer.sent).toHaveLength(entries.length);
        const reasons = producer.sent.map((m) => {
          const reason = m.original.headers?.find(([name]) => name === DEAD_LETTER_HEADERS.reason)?.[1];
          return Buffer.from(reason ?? '').toString();
        });
        expect(new Set(reasons)).toEqual(new Set(['decode']));
      }
    }
  });
});
