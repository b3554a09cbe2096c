import { KafkaLambdaError, RecordDecodeError, type RecordLocation } from '@kafka-lambda/core';
import { describe, expect, it } from 'vitest';
import {
  InvalidPayloadError,
  JsonSchemaValidationError,
  SchemaNotFoundError,
  SchemaRegistryError,
  UnknownMagicByteError,
  WireFormatError,
} from '../src/index.js';

describe("serdes' errors are the SDK's errors", () => {
  it('are instances of KafkaLambdaError, their own classes still told apart', () => {
    const location: RecordLocation = { topic: 't', partition: 0, offset: 7 };
    const wire = new UnknownMagicByteError([0], 9, location);
    const registry = new SchemaNotFoundError('GET /schemas/ids/7: not found', { id: 7 }, 404, 40403);
    const validation = new JsonSchemaValidationError(['$.id: required']);
    for (const error of [wire, registry, validation]) expect(error).toBeInstanceOf(KafkaLambdaError);
    expect(wire).toBeInstanceOf(WireFormatError);
    expect(wire).not.toBeInstanceOf(InvalidPayloadError);
    expect(registry).toBeInstanceOf(SchemaRegistryError);
    expect(wire.offset).toBe(7);
  });

  it("keeps core's subclasses on the ordinary prototype check", () => {
    expect(new UnknownMagicByteError([0], 9)).not.toBeInstanceOf(RecordDecodeError);
    expect(new Error('theirs')).not.toBeInstanceOf(KafkaLambdaError);
    expect({ name: 'KafkaLambdaError' }).not.toBeInstanceOf(KafkaLambdaError);
    expect(KafkaLambdaError[Symbol.hasInstance](null)).toBe(false);
  });
});
