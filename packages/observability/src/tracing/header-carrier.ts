import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import type { OutgoingMessage } from '@kafka-lambda/core/producer';
import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/**
 * An OpenTelemetry `TextMapGetter` over the ESM's raw record (`[{ name: [bytes] }]`, bytes possibly
 * signed): reads the one or two headers a propagator asks for without decoding every header.
 *
 * @example
 * ```ts
 * import { propagation, ROOT_CONTEXT } from '@opentelemetry/api';
 *
 * const creation = propagation.extract(ROOT_CONTEXT, record.toEventRecord(), eventRecordGetter);
 * ```
 */
export const eventRecordGetter: TextMapGetter<KafkaEventRecord> = {
  keys(record) {
    const names: string[] = [];
    for (const header of record.headers ?? []) names.push(...Object.keys(header));
    return names;
  },
  get(record, name) {
    const headers = record.headers;
    if (!headers) return undefined;
    for (const header of headers) {
      const bytes = header[name];
      if (bytes !== undefined) return utf8(bytes);
    }
    return undefined;
  },
};

function utf8(bytes: readonly number[]): string {
  const buffer = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) buffer[i] = bytes[i]! & 0xff;
  return buffer.toString('utf8');
}

/** Collects what a propagator injects, as Kafka headers. */
export const headerPairsSetter: TextMapSetter<Array<[string, Buffer]>> = {
  set(carrier, name, value) {
    carrier.push([name, Buffer.from(value, 'utf8')]);
  },
};

/** Whether the message already has a header of one of these names (then its producer chose it). */
export function hasAnyHeader(message: OutgoingMessage, names: readonly string[]): boolean {
  const headers = message.headers;
  if (!headers || headers.length === 0) return false;
  for (const [name] of headers) if (names.includes(name)) return true;
  return false;
}
