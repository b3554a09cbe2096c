import type { MessagePart } from '@kafka-lambda/core/serde';

/** What a subject name strategy sees. `recordName` is the fully-qualified Avro record, Protobuf message or JSON Schema title. */
export interface SubjectNameInput {
  readonly topic: string;
  readonly part: MessagePart;
  readonly recordName?: string | undefined;
}

/** Confluent's strategies by name, or your own function. */
export type SubjectNameStrategy =
  | 'TopicName'
  | 'RecordName'
  | 'TopicRecordName'
  | ((input: SubjectNameInput) => string);

/**
 * The subject a schema is registered under. `TopicName` (default): `<topic>-key|value`;
 * `RecordName`: `<record>`; `TopicRecordName`: `<topic>-<record>`.
 *
 * @example
 * ```ts
 * subjectName('TopicName', { topic: 'trades', part: 'value' }); // 'trades-value'
 * subjectName('TopicRecordName', { topic: 'trades', part: 'value', recordName: 'acme.Trade' }); // 'trades-acme.Trade'
 * ```
 */
export function subjectName(strategy: SubjectNameStrategy, input: SubjectNameInput): string {
  if (typeof strategy === 'function') return strategy(input);
  if (strategy === 'TopicName') return `${input.topic}-${input.part}`;
  if (!input.recordName)
    throw new TypeError(`subject name strategy ${strategy} needs a record name, but the schema has none`);
  return strategy === 'RecordName' ? input.recordName : `${input.topic}-${input.recordName}`;
}
