import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonSchema } from '../src/json-schema.js';
import { JsonSchemaValidationError, validateJsonSchema } from '../src/json-schema-validator.js';
import { schemaRegistry } from '../src/registry/client.js';
import { writeConfluentFrame } from '../src/wire/confluent.js';
import { InvalidPayloadError } from '../src/wire/errors.js';
import { deserializeContext, readBack, serializeContext } from './support/context.js';
import { FakeRegistry } from './support/fake-registry.js';

const order = {
  title: 'acme.Order',
  type: 'object',
  properties: {
    id: { type: 'integer', minimum: 1 },
    sku: { type: 'string', pattern: '^[A-Z]{3}-\\d+$' },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
    price: { $ref: '#/$defs/money' },
  },
  required: ['id', 'sku'],
  additionalProperties: false,
  $defs: { money: { type: 'object', properties: { cents: { type: 'integer' } }, required: ['cents'] } },
};

let fake: FakeRegistry;
beforeEach(async () => {
  fake = await new FakeRegistry().start();
});
afterEach(() => fake.stop());

describe('jsonSchema()', () => {
  it('without validation decodes the framed JSON synchronously, with no registry request', () => {
    const serde = jsonSchema(schemaRegistry(fake.url));
    const bytes = writeConfluentFrame(12, Buffer.from('{"id":1,"sku":"ABC-1"}'));
    expect(serde.deserialize(bytes)).toEqual({ id: 1, sku: 'ABC-1' });
    expect(fake.requests).toHaveLength(0);
  });

  it('with validation fetches the writer schema once and rejects invalid values', async () => {
    const id = fake.add('orders-value', JSON.stringify(order), 'JSON');
    const serde = jsonSchema(schemaRegistry(fake.url), { validate: true });
    await expect(
      serde.deserialize(writeConfluentFrame(id, Buffer.from('{"id":1,"sku":"ABC-1"}'))),
    ).resolves.toEqual({
      id: 1,
      sku: 'ABC-1',
    });
    const error = (() => {
      try {
        serde.deserialize(writeConfluentFrame(id, Buffer.from('{"id":0,"sku":"x","extra":1}')));
      } catch (e) {
        return e as JsonSchemaValidationError;
      }
      throw new Error('expected a throw');
    })();
    expect(error).toBeInstanceOf(JsonSchemaValidationError);
    expect(error.errors).toEqual([
      '$.id: less than 1',
      '$.sku: does not match ^[A-Z]{3}-\\d+$',
      '$: unexpected property "extra"',
    ]);
    expect(fake.requests).toHaveLength(1);
  });

  it('reports invalid JSON as InvalidPayloadError', () => {
    const serde = jsonSchema(schemaRegistry(fake.url));
    expect(() =>
      serde.deserialize(writeConfluentFrame(1, Buffer.from('{nope')), deserializeContext()),
    ).toThrow(InvalidPayloadError);
  });

  it('never quotes the payload in the error (V8 quotes the text around a JSON syntax error)', () => {
    const serde = jsonSchema(schemaRegistry(fake.url));
    const payload = Buffer.from('{"card":"4111-1111-1111-1111" oops}');
    let error: unknown;
    try {
      serde.deserialize(writeConfluentFrame(1, payload), deserializeContext());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect((error as Error).message).toContain(`${payload.length} bytes`);
    // Neither the message nor anything the error carries holds the record's content.
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('4111');
    expect((error as Error).cause).toBeUndefined();
  });

  it('serializes with auto-registration, validating first, and round-trips through header mode', async () => {
    const serde = jsonSchema<Record<string, unknown>>(schemaRegistry(fake.url), {
      schema: order,
      autoRegister: true,
      validate: true,
      schemaIdLocation: 'header',
    });
    const ctx = serializeContext('orders');
    const bytes = await serde.serialize({ id: 2, sku: 'XYZ-9', price: { cents: 5 } }, ctx);
    expect(bytes.toString()).toBe('{"id":2,"sku":"XYZ-9","price":{"cents":5}}');
    expect(fake.byId(1)).toMatchObject({ schemaType: 'JSON', schema: JSON.stringify(order) });
    expect(ctx.headers[0]![0]).toBe('__value_schema_id');
    // no validation: no schema needed, synchronous even in header mode
    expect(jsonSchema(schemaRegistry(fake.url)).deserialize(bytes, readBack(ctx))).toEqual({
      id: 2,
      sku: 'XYZ-9',
      price: { cents: 5 },
    });
    expect(() => serde.serialize({ id: 2, sku: 'XYZ-9', price: {} }, serializeContext('orders'))).toThrow(
      /\$\.price: missing required property "cents"/,
    );
  });

  it('accepts a custom validator', async () => {
    const serde = jsonSchema(schemaRegistry(fake.url), {
      schema: order,
      autoRegister: true,
      validate: (value) => ((value as { id: number }).id === 42 ? [] : ['id must be 42']),
    });
    await expect(serde.serialize({ id: 42 }, serializeContext())).resolves.toBeInstanceOf(Buffer);
    expect(() => serde.serialize({ id: 1 }, serializeContext())).toThrow('id must be 42');
  });

  it('uses the title for the RecordName strategy', async () => {
    const serde = jsonSchema(schemaRegistry(fake.url), {
      schema: order,
      autoRegister: true,
      subjectNameStrategy: 'RecordName',
    });
    await serde.serialize({ id: 1, sku: 'ABC-1' });
    expect(fake.requests).toEqual(['POST /subjects/acme.Order/versions']);
  });
});

describe('validateJsonSchema', () => {
  it.each([
    [{ type: 'string' }, 'a', []],
    [{ type: ['string', 'null'] }, null, []],
    [{ type: 'integer' }, 1.5, ['$: expected integer, found number']],
    [{ enum: [1, 'a'] }, 'b', ['$: expected one of [1,"a"]']],
    [{ const: { a: 1 } }, { a: 1 }, []],
    [{ minLength: 2 }, '😀', ['$: shorter than 2']],
    [{ exclusiveMaximum: 3 }, 3, ['$: not less than 3']],
    [{ items: { type: 'number' }, minItems: 1 }, ['x'], ['$[0]: expected number, found string']],
    [{ anyOf: [{ type: 'string' }, { type: 'number' }] }, true, ['$: matches none of anyOf']],
    [{ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 1, ['$: matches 2 of oneOf, expected exactly 1']],
    [{ not: { type: 'null' } }, null, ['$: matches a schema it must not']],
    [{ additionalProperties: { type: 'number' } }, { a: 'x' }, ['$.a: expected number, found string']],
    [false, 1, ['$: no value is allowed here']],
    [{ $ref: '#/nowhere' }, 1, ['$: unresolvable $ref #/nowhere']],
  ] as const)('%j on %j', (schema, value, errors) => {
    expect(validateJsonSchema(value, schema as never)).toEqual(errors);
  });

  it('follows $ref to named references', () => {
    const refs = new Map([['money.json', { type: 'object', required: ['cents'] }]]);
    expect(validateJsonSchema({ p: {} }, { properties: { p: { $ref: 'money.json' } } }, refs)).toEqual([
      '$.p: missing required property "cents"',
    ]);
  });

  it('stops on $ref cycles', () => {
    const errors = validateJsonSchema(1, { $ref: '#' });
    expect(errors[0]).toMatch(/deeper than 64/);
  });
});
