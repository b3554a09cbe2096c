import type { KafkaRecord } from '@kafka-lambda/core';
import type { KafkaEventRecord } from '@kafka-lambda/core/events';
import type {
  BatchEnd,
  BatchObserver,
  BatchStart,
  FlushReport,
  Instrumentation,
  RecordOutcome,
} from '@kafka-lambda/core/middleware';
import type { OutgoingMessage } from '@kafka-lambda/core/producer';
import {
  type Attributes,
  type Context,
  context as contextApi,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { ObservabilityConfigError } from '../errors.js';
import { topicsOf } from '../record-age.js';
import { KAFKA_SPAN_ATTRIBUTES as A } from './attributes.js';
import { eventRecordGetter, hasAnyHeader, headerPairsSetter } from './header-carrier.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** Options of {@link kafkaTracing}. */
export interface KafkaTracingOptions {
  /** Where spans go. Default the OpenTelemetry API's registered provider (`trace.getTracerProvider()`). */
  tracerProvider?: TracerProvider;
  /**
   * Reads the records' creation context and writes the produced messages'. Default the API's registered
   * propagator (`propagation`; the Node SDK registers W3C `traceparent`/`tracestate`).
   */
  propagator?: TextMapPropagator;
  /** Also a `process` span per record (child of the batch span, linked to the record's creation context). Default false. */
  recordSpans?: boolean;
  /**
   * `messaging.consumer.group.name`. The ESM's event does not carry it: it is the ESM's UUID unless you
   * set `ConsumerGroupId` on the ESM (e.g. pass it to the function as an environment variable).
   */
  consumerGroup?: string;
  /** Links to the records' creation contexts on the batch span, at most. Default 128 (the SDK's default `linkCountLimit`). */
  maxLinks?: number;
}

const TRACER_NAME = '@kafka-lambda/observability';
const DEFAULT_MAX_LINKS = 128;

/**
 * OpenTelemetry tracing of a Kafka handler, after the messaging semantic conventions for Kafka: per
 * invocation a `process` span (kind CONSUMER) that LINKS to each record's creation context, read from
 * its W3C `traceparent`/`tracestate` headers; optionally a span per record; `process()` runs in that
 * span's context (your own spans nest under it); and every message a record produces carries the
 * context of its processing in its headers, so the next consumer continues the trace. Dead letters
 * keep the original record's headers, so they point at the original's creation context.
 *
 * Uses only the given (or registered) tracer provider and propagator: it never registers or patches
 * anything of OpenTelemetry's.
 *
 * @example
 * ```ts
 * import { createKafkaHandler } from '@kafka-lambda/core';
 * import { kafkaTracing } from '@kafka-lambda/observability/tracing';
 *
 * export const handler = createKafkaHandler({
 *   use: [kafkaTracing({ recordSpans: true, consumerGroup: process.env.CONSUMER_GROUP })],
 *   process(record, { produce }) {
 *     produce({ topic: 'settled', key: record.key, value: record.value }); // carries the trace context
 *   },
 * });
 * ```
 */
export function kafkaTracing(options: KafkaTracingOptions = {}): Instrumentation {
  const settings = resolve(options);
  return {
    name: 'kafka-tracing',
    startBatch(batch) {
      return new TracingObserver(settings, batch);
    },
  };
}

interface TracingSettings {
  readonly tracer: Tracer;
  readonly extract: (record: KafkaEventRecord) => Context;
  readonly inject: (context: Context, carrier: Array<[string, Buffer]>) => void;
  readonly fields: () => string[];
  readonly recordSpans: boolean;
  readonly consumerGroup: string | undefined;
  readonly maxLinks: number;
}

function resolve(options: KafkaTracingOptions): TracingSettings {
  if (options === null || typeof options !== 'object')
    throw new ObservabilityConfigError('kafkaTracing options must be an object');
  const { tracerProvider, propagator, consumerGroup } = options;
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function')
    throw new ObservabilityConfigError('tracerProvider must be an OpenTelemetry TracerProvider (getTracer)');
  if (
    propagator !== undefined &&
    (typeof propagator?.extract !== 'function' || typeof propagator.inject !== 'function')
  )
    throw new ObservabilityConfigError(
      'propagator must be an OpenTelemetry TextMapPropagator (extract, inject)',
    );
  if (consumerGroup !== undefined && (typeof consumerGroup !== 'string' || consumerGroup === ''))
    throw new ObservabilityConfigError('consumerGroup must be a non-empty string');
  const maxLinks = options.maxLinks ?? DEFAULT_MAX_LINKS;
  if (!Number.isInteger(maxLinks) || maxLinks < 0)
    throw new ObservabilityConfigError('maxLinks must be an integer >= 0');
  // A ProxyTracer of the global provider follows a provider registered later (e.g. by the Lambda layer).
  const tracer = (tracerProvider ?? trace.getTracerProvider()).getTracer(TRACER_NAME);
  const via = propagator ?? propagation;
  return {
    tracer,
    extract: (record) => via.extract(ROOT_CONTEXT, record, eventRecordGetter),
    inject: (context, carrier) => via.inject(context, carrier, headerPairsSetter),
    fields: () => via.fields(),
    recordSpans: options.recordSpans ?? false,
    consumerGroup,
    maxLinks,
  };
}

interface RecordSpan {
  readonly span: Span;
  readonly context: Context;
  injected?: Array<[string, Buffer]>;
}

class TracingObserver implements BatchObserver {
  readonly #settings: TracingSettings;
  readonly #span: Span;
  /** The batch span's context: the parent of record spans and what `process()` runs in. */
  readonly #context: Context;
  readonly #recordSpans = new Map<AnyRecord, RecordSpan>();
  #fields: string[] | undefined;
  /** The batch span's context as headers, once injected. */
  #injected: Array<[string, Buffer]> | undefined;

  constructor(settings: TracingSettings, batch: BatchStart) {
    this.#settings = settings;
    const topics = topicsOf(batch.partitions);
    const topic = topics.length === 1 ? topics[0] : undefined;
    const attributes: Attributes = {
      [A.system]: 'kafka',
      [A.operationType]: 'process',
      [A.operationName]: 'process',
      [A.batchMessageCount]: batch.records,
      [A.faasTrigger]: 'pubsub',
    };
    if (topic !== undefined) attributes[A.destinationName] = topic;
    if (batch.partitions.length === 1) attributes[A.partitionId] = String(batch.partitions[0]!.partition);
    if (settings.consumerGroup) attributes[A.consumerGroup] = settings.consumerGroup;
    const server = batch.bootstrapServers?.split(',')[0]?.trim().replace(/:\d+$/, '');
    if (server) attributes[A.serverAddress] = server;
    if (batch.context?.awsRequestId) attributes[A.faasInvocationId] = batch.context.awsRequestId;
    const { links, dropped } = this.#links(batch);
    if (dropped > 0) attributes[A.linksDropped] = dropped;
    const parent = contextApi.active();
    this.#span = settings.tracer.startSpan(
      topic === undefined ? 'process' : `process ${topic}`,
      { kind: SpanKind.CONSUMER, attributes, links },
      parent,
    );
    this.#context = trace.setSpan(parent, this.#span);
  }

  recordStart(record: AnyRecord): void {
    if (!this.#settings.recordSpans) return;
    const raw = record.toEventRecord();
    const attributes: Attributes = {
      [A.system]: 'kafka',
      [A.operationType]: 'process',
      [A.operationName]: 'process',
      [A.destinationName]: record.topic,
      [A.partitionId]: String(record.partition),
      [A.offset]: record.offset,
    };
    if (this.#settings.consumerGroup) attributes[A.consumerGroup] = this.#settings.consumerGroup;
    if (raw.value === null) attributes[A.tombstone] = true;
    const creation = creationOf(this.#settings, raw);
    const span = this.#settings.tracer.startSpan(
      `process ${record.topic}`,
      { kind: SpanKind.CONSUMER, attributes, links: creation ? [{ context: creation }] : [] },
      this.#context,
    );
    this.#recordSpans.set(record, { span, context: trace.setSpan(this.#context, span) });
  }

  runRecord<T>(record: AnyRecord, run: () => T): T {
    return contextApi.with(this.#recordSpans.get(record)?.context ?? this.#context, run);
  }

  recordEnd(record: AnyRecord, outcome: RecordOutcome, error?: Error): void {
    const entry = this.#recordSpans.get(record);
    if (!entry) return;
    this.#recordSpans.delete(record);
    endWith(entry.span, outcome, error);
  }

  produce(message: OutgoingMessage, source: AnyRecord): OutgoingMessage {
    this.#fields ??= this.#settings.fields();
    // A trace context the producer set itself is its choice: left as it is.
    if (hasAnyHeader(message, this.#fields)) return message;
    const entry = this.#recordSpans.get(source);
    // Injected once per span: every output of a record (or of the batch) carries the same headers.
    let injected = entry ? entry.injected : this.#injected;
    if (injected === undefined) {
      injected = [];
      try {
        this.#settings.inject(entry?.context ?? this.#context, injected);
      } catch {
        // A propagator that throws must not fail the record: its outputs go without trace headers.
        injected = [];
      }
      if (entry) entry.injected = injected;
      else this.#injected = injected;
    }
    if (injected.length === 0) return message;
    // A fresh array per message (the header values are shared; a client may rewrite the list in place).
    return {
      ...message,
      headers: message.headers?.length ? [...message.headers, ...injected] : [...injected],
    };
  }

  flush({ messages, durationMs, error }: FlushReport): void {
    const end = Date.now();
    const span = this.#settings.tracer.startSpan(
      'flush',
      {
        kind: SpanKind.INTERNAL,
        startTime: end - durationMs,
        attributes: { [A.system]: 'kafka', [A.batchMessageCount]: messages },
      },
      this.#context,
    );
    if (error) fail(span, error);
    span.end(end);
  }

  end({ summary, error }: BatchEnd): void {
    for (const [, { span }] of this.#recordSpans) endWith(span, 'unprocessed');
    this.#recordSpans.clear();
    const span = this.#span;
    for (const [name, value] of Object.entries(summary)) {
      if (typeof value === 'number') span.setAttribute(`${A.summaryPrefix}${name}`, value);
    }
    if (error) fail(span, error);
    span.end();
  }

  #links(batch: BatchStart): { links: Link[]; dropped: number } {
    const links: Link[] = [];
    let dropped = 0;
    const { maxLinks } = this.#settings;
    for (const { records } of batch.partitions) {
      for (const raw of records) {
        if (!raw.headers || raw.headers.length === 0) continue;
        // Past the cap, a record with headers is counted, not parsed: 10,000 extractions cost ~20 ms.
        if (links.length >= maxLinks) {
          dropped++;
          continue;
        }
        const creation = creationOf(this.#settings, raw);
        if (!creation) continue;
        links.push({
          context: creation,
          attributes: {
            [A.destinationName]: raw.topic,
            [A.partitionId]: String(raw.partition),
            [A.offset]: raw.offset,
          },
        });
      }
    }
    return { links, dropped };
  }
}

function creationOf(settings: TracingSettings, raw: KafkaEventRecord): SpanContext | undefined {
  if (!raw.headers || raw.headers.length === 0) return undefined;
  const spanContext = trace.getSpanContext(settings.extract(raw));
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
}

function endWith(span: Span, outcome: RecordOutcome, error?: Error): void {
  span.setAttribute(A.outcome, outcome);
  if (outcome === 'failed' && error) fail(span, error);
  span.end();
}

function fail(span: Span, error: Error): void {
  span.recordException(error);
  span.setAttribute(A.errorType, error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/**
 * The context a record was created in, read from its headers with the given (or registered)
 * propagator: use it as a parent or link of your own spans. `ROOT_CONTEXT` when it has none.
 *
 * @example
 * ```ts
 * process(record) {
 *   const creation = trace.getSpanContext(recordCreationContext(record));
 *   const span = tracer.startSpan('settle', { links: creation ? [{ context: creation }] : [] });
 *   span.end();
 * }
 * ```
 */
export function recordCreationContext<K, V>(
  record: KafkaRecord<K, V>,
  propagator: TextMapPropagator = propagation,
): Context {
  return propagator.extract(ROOT_CONTEXT, record.toEventRecord(), eventRecordGetter);
}
