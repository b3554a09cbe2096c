import type { KafkaEvent, KafkaEventRecord, SinkConnectorEvent } from '@kafka-lambda/core/events';
import type { Invoker } from './types.js';

/**
 * What the connector's converters make of a record's bytes, as far as the documentation lets us say
 * ("converts them to JSON"): text that parses as JSON becomes that JSON value, other UTF-8 text a
 * string, no bytes `null`. A real connector converts schema'd Avro/Protobuf/JSON Schema records through
 * the registry instead; binary values without a converter that makes JSON of them are not covered.
 */
export function connectorJson(base64: string | null | undefined): unknown {
  if (base64 === null || base64 === undefined) return null;
  const text = Buffer.from(base64, 'base64').toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One partition's ESM records as the Sink Connector's sync-mode invocation payload. */
export function toSinkConnectorEvent(records: readonly KafkaEventRecord[]): SinkConnectorEvent {
  return records.map((r) => ({
    payload: {
      timestamp: r.timestamp,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      key: connectorJson(r.key),
      value: connectorJson(r.value),
    },
  }));
}

/**
 * Invokes the function the way Confluent's AWS Lambda Sink Connector does in sync mode: one invocation
 * per partition (records of a partition sequential, partitions in parallel), the payload an array of
 * `{ payload }`, the function's answer taken as the response (the connector writes it to its success
 * topic; it reads no partial batch response from it). The loop keeps one batch per partition in flight.
 *
 * Towards the loop it answers like an ESM function with `ReportBatchItemFailures`: a partition whose
 * invocation failed is reported at its first offset, so only that partition is retried; when every
 * partition failed it rethrows the first error. `responses` keeps each successful answer, in order.
 */
export class SinkConnectorInvoker implements Invoker {
  readonly responses: unknown[] = [];
  constructor(readonly inner: Invoker) {}

  async invoke(event: KafkaEvent, timeoutMs: number): Promise<unknown> {
    const groups = Object.entries(event.records).filter(([, records]) => records.length > 0);
    const outcomes = await Promise.allSettled(
      groups.map(([, records]) =>
        this.inner.invoke(toSinkConnectorEvent(records) as unknown as KafkaEvent, timeoutMs),
      ),
    );
    const failed: Array<{ itemIdentifier: { partition: string; offset: number } }> = [];
    let firstError: unknown;
    outcomes.forEach((outcome, i) => {
      const [partition, records] = groups[i]!;
      if (outcome.status === 'fulfilled') this.responses.push(outcome.value);
      else {
        firstError ??= outcome.reason;
        failed.push({ itemIdentifier: { partition, offset: records[0]!.offset } });
      }
    });
    if (failed.length > 0 && failed.length === groups.length) throw firstError;
    return failed.length > 0 ? { batchItemFailures: failed } : undefined;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
