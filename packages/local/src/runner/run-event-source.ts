import { randomUUID } from 'node:crypto';
import { jsonLogger } from '@kafka-lambda/core';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import { createDestination } from './destinations/create-destination.js';
import { FailureReplayInvoker } from './failure-replay-invoker.js';
import { recordFilter } from './filter/filter-criteria.js';
import { InProcessInvoker } from './in-process-invoker.js';
import { KafkaSource } from './kafka-source.js';
import { LOCAL_ACCOUNT } from './local-account.js';
import { EventSourceLoop, type LoopSettings } from './loop.js';
import { RepeatedLines } from './repeated-lines.js';
import { RieInvoker } from './rie-invoker.js';
import { EsmRecordDecoder } from './schema/esm-record-decoder.js';
import { schemaRegistrySettings } from './schema/schema-registry-settings.js';
import { SinkConnectorInvoker } from './sink-connector-invoker.js';
import { resolveStartingPosition } from './starting-position.js';
import type { EventSourceOptions, EventSourceRunner, Invoker, RecordSource } from './types.js';

/**
 * Lambda's synchronous invocation payload limit, the default `maxPayloadBytes` of {@link runEventSource}.
 *
 * @example
 * ```ts
 * const runner = await runEventSource({ brokers, topics: ['big'], handler, maxPayloadBytes: MAX_PAYLOAD_BYTES / 2 });
 * ```
 */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Consumes real Kafka topics and invokes a handler with ESM-shaped batches, the way Lambda's event
 * source mapping does: one batch in flight per partition, offsets committed only after success, the
 * batch retried with backoff on error, `batchItemFailures` honoured (the partition resumes at the
 * reported offset), batches cut by size (1–10,000), payload (6 MB) and batching window.
 *
 * After `maxRetries` failed retries nothing is skipped silently: the runner stops (default) or, with
 * `onRetriesExhausted: 'skip'`, logs the skipped records at error level and reports them.
 *
 * @example
 * ```ts
 * import { runEventSource } from '@kafka-lambda/local';
 * import { handler } from '../src/handler.js';
 *
 * const runner = await runEventSource({
 *   brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
 *   topics: ['orders'],
 *   handler,
 *   batchSize: 50,
 *   batchWindowMs: 200,
 *   reportBatchItemFailures: true,
 * });
 * await runner.waitFor((stats) => stats.recordsCommitted >= 10);
 * await runner.stop(); // also closes handler.producer (closeHandlerProducer): the script can end
 * ```
 */
export async function runEventSource(options: EventSourceOptions): Promise<EventSourceRunner> {
  const settings = resolveSettings(options);
  const { startingPosition, timestampMs } = resolveStartingPosition(options);
  const brokers = settings.bootstrapServers;
  let loop: EventSourceLoop | undefined;
  const consumerErrors = new RepeatedLines((message, fields) => settings.logger.warn(message, fields));
  const source = new KafkaSource({
    brokers,
    topics: options.topics,
    groupId: settings.groupId,
    startingPosition,
    ...(timestampMs === undefined ? {} : { startingPositionTimestampMs: timestampMs }),
    consumerConfig: options.consumerConfig ?? {},
    onError: (error) => consumerErrors.write('kafka consumer reported an error', error.message, { error }),
  });
  const function_: Invoker = options.rie
    ? await RieInvoker.start(options.rie, {
        timeoutMs: settings.timeoutMs,
        functionName: functionNameOf(options),
      })
    : new InProcessInvoker(options.handler!, functionNameOf(options), options.closeHandlerProducer ?? true);
  const invoker = wrapInvoker(function_, options);
  try {
    loop = await startLoop(settings, source, invoker);
  } catch (error) {
    await invoker.close();
    await source.close().catch(() => undefined);
    consumerErrors.flush();
    throw error;
  }
  loop.done.then(
    () => consumerErrors.flush(),
    () => consumerErrors.flush(),
  );
  return loop;
}

/** The Sink Connector's invocations and the replay of on-failure records sit between loop and function. */
export function wrapInvoker(
  invoker: Invoker,
  options: Pick<EventSourceOptions, 'mode' | 'fromFailures'>,
): Invoker {
  const replayed = options.fromFailures ? new FailureReplayInvoker(invoker) : invoker;
  return options.mode === 'sink-connector' ? new SinkConnectorInvoker(replayed) : replayed;
}

/** Starts the loop over any {@link RecordSource}; lets tests drive the ESM logic without a broker. */
export async function startLoop(
  settings: LoopSettings,
  source: RecordSource,
  invoker: Invoker,
): Promise<EventSourceLoop> {
  const loop = new EventSourceLoop(settings, source, invoker);
  await loop.start();
  return loop;
}

/** Checks the options and applies the ESM's defaults. */
export function resolveSettings(options: EventSourceOptions): LoopSettings {
  if (typeof options !== 'object' || options === null)
    throw new InvalidTestInputError('options', 'an object');
  const brokers = typeof options.brokers === 'string' ? options.brokers : options.brokers?.join(',');
  if (!brokers) throw new InvalidTestInputError('brokers', 'a "host:port" list');
  if (
    !Array.isArray(options.topics) ||
    options.topics.length === 0 ||
    options.topics.some((t) => typeof t !== 'string' || !t)
  ) {
    throw new InvalidTestInputError('topics', 'a non-empty array of topic names');
  }
  if (Boolean(options.handler) === Boolean(options.rie))
    throw new InvalidTestInputError('handler', 'exactly one of `handler` and `rie`');
  if (options.handler && typeof options.handler !== 'function')
    throw new InvalidTestInputError('handler', 'a function');
  if (options.closeHandlerProducer !== undefined && typeof options.closeHandlerProducer !== 'boolean')
    throw new InvalidTestInputError('closeHandlerProducer', 'a boolean');
  resolveStartingPosition(options);
  const mode = options.mode ?? 'esm';
  if (mode !== 'esm' && mode !== 'sink-connector')
    throw new InvalidTestInputError('mode', '"esm" or "sink-connector"');
  const sink = mode === 'sink-connector';
  const batchSize = integerIn(options.batchSize ?? (sink ? 20 : 100), 1, 10_000, 'batchSize');
  const batchWindowMs = integerIn(options.batchWindowMs ?? 500, 0, 300_000, 'batchWindowMs');
  const retries = options.maxRetries ?? 3;
  if (retries !== -1 && (!(retries >= 0) || (Number.isFinite(retries) && !Number.isInteger(retries)))) {
    throw new InvalidTestInputError('maxRetries', 'a non-negative integer, -1 or Infinity');
  }
  const destinationUri = options.onFailureDestination;
  if (destinationUri !== undefined && typeof destinationUri !== 'string')
    throw new InvalidTestInputError('onFailureDestination', 'kafka://<topic> or an S3, SQS or SNS ARN');
  const destinationTopic = destinationUri?.startsWith('kafka://') ? destinationUri.slice(8) : undefined;
  if (destinationTopic && options.topics.includes(destinationTopic))
    // AWS refuses a destination topic that is also a source topic (it would loop).
    throw new InvalidTestInputError('onFailureDestination', 'a topic other than the source topics');
  // -1 is infinite; with an on-failure destination AWS applies at most 10 retries
  // (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html).
  const infinite = retries === -1 || retries === Number.POSITIVE_INFINITY;
  const maxRetries = infinite ? (destinationUri ? 10 : Number.POSITIVE_INFINITY) : retries;
  const maxRecordAgeSeconds = options.maxRecordAgeSeconds ?? -1;
  if (maxRecordAgeSeconds !== -1 && !(maxRecordAgeSeconds > 0 && maxRecordAgeSeconds <= 604_800))
    throw new InvalidTestInputError(
      'maxRecordAgeSeconds',
      '-1 (infinite) or a number of seconds up to 604800',
    );
  if (options.filterCriteria && options.fromFailures)
    // The filter would match the on-failure topic's messages, not the records they replay.
    throw new InvalidTestInputError('filterCriteria', 'no filter criteria with fromFailures');
  const schemaRegistry =
    options.schemaRegistry === undefined ? undefined : schemaRegistrySettings(options.schemaRegistry);
  if (schemaRegistry && (options.fromFailures || sink))
    // The on-failure topic's messages are JSON, not registry-framed; the Sink Connector has its own converters.
    throw new InvalidTestInputError(
      'schemaRegistry',
      options.fromFailures ? 'no schema registry integration with fromFailures' : 'mode "esm"',
    );
  if (
    options.bisectBatchOnFunctionError !== undefined &&
    typeof options.bisectBatchOnFunctionError !== 'boolean'
  )
    throw new InvalidTestInputError('bisectBatchOnFunctionError', 'a boolean');
  const onRetriesExhausted = options.onRetriesExhausted ?? 'stop';
  if (onRetriesExhausted !== 'stop' && onRetriesExhausted !== 'skip') {
    throw new InvalidTestInputError('onRetriesExhausted', "'stop' or 'skip'");
  }
  const timeoutMs = integerIn(options.timeoutMs ?? 60_000, 1, 900_000, 'timeoutMs');
  const concurrency = options.rie ? 1 : integerIn(options.concurrency ?? 1, 1, 1_000, 'concurrency');
  const eventSource = options.eventSource ?? 'SelfManagedKafka';
  if (eventSource !== 'aws:kafka' && eventSource !== 'SelfManagedKafka') {
    throw new InvalidTestInputError('eventSource', '"aws:kafka" or "SelfManagedKafka"');
  }
  const logger =
    options.logger ??
    jsonLogger({
      write: (line) => process.stderr.write(`[kafka-lambda-local] ${line}\n`),
      context: { component: 'event-source' },
    });
  const functionName = functionNameOf(options);
  const { region, accountId } = LOCAL_ACCOUNT;
  const groupId = options.groupId ?? `kafka-lambda-local-${randomUUID()}`;
  return {
    groupId,
    batchSize,
    batchWindowMs,
    maxPayloadBytes: integerIn(
      options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES,
      1_024,
      MAX_PAYLOAD_BYTES,
      'maxPayloadBytes',
    ),
    // The Sink Connector invoker reports a failed partition's first offset, so only that partition is retried.
    reportBatchItemFailures: sink || (options.reportBatchItemFailures ?? false),
    maxRetries,
    onRetriesExhausted,
    bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? false,
    maxRecordAgeMs: maxRecordAgeSeconds === -1 ? Number.POSITIVE_INFINITY : maxRecordAgeSeconds * 1000,
    destination: destinationUri
      ? createDestination(destinationUri, {
          brokers,
          clientConfig: options.consumerConfig ?? {},
          failureDir: options.failureDir ?? '.kafka-lambda-local/failures',
        })
      : undefined,
    filter: options.filterCriteria
      ? recordFilter(options.filterCriteria, 'filterCriteria', { keyDecoded: schemaRegistry?.key ?? false })
      : undefined,
    schemaDecoder: schemaRegistry ? new EsmRecordDecoder(schemaRegistry) : undefined,
    metrics: metricsSettings(options, functionName, groupId),
    functionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    retryBackoffMs: integerIn(options.retryBackoffMs ?? 200, 0, 600_000, 'retryBackoffMs'),
    maxBackoffMs: integerIn(options.maxBackoffMs ?? 5_000, 0, 600_000, 'maxBackoffMs'),
    timeoutMs,
    concurrency,
    eventSource,
    eventSourceArn:
      eventSource === 'aws:kafka'
        ? 'arn:aws:kafka:us-east-1:123456789012:cluster/kafka-lambda-local/00000000-0000-0000-0000-000000000000-1'
        : undefined,
    bootstrapServers: brokers,
    signedHeaderBytes: options.signedHeaderBytes ?? true,
    logger,
    onBatch: options.onBatch,
    onSkip: options.onSkip,
  };
}

/** `MetricsConfig`: the groups to emit at stop, checked; undefined when none. */
function metricsSettings(options: EventSourceOptions, functionName: string, mappingId: string) {
  const groups = options.metrics ?? [];
  if (!Array.isArray(groups))
    throw new InvalidTestInputError('metrics', 'a list of EventCount and KafkaMetrics');
  for (const [i, group] of groups.entries()) {
    if (group === ('ErrorCount' as string))
      // Its metric names are not in the documentation the runner follows: refused, not guessed.
      throw new InvalidTestInputError(
        `metrics[${i}]`,
        'EventCount or KafkaMetrics (ErrorCount is not emulated)',
      );
    if (group !== 'EventCount' && group !== 'KafkaMetrics')
      throw new InvalidTestInputError(`metrics[${i}]`, 'EventCount or KafkaMetrics');
  }
  if (options.onMetrics !== undefined && typeof options.onMetrics !== 'function')
    throw new InvalidTestInputError('onMetrics', 'a function');
  if (groups.length === 0) return undefined;
  return {
    groups: new Set(groups),
    functionName,
    mappingId,
    emit:
      options.onMetrics ??
      ((document: Record<string, unknown>) => process.stderr.write(`${JSON.stringify(document)}\n`)),
  };
}

function functionNameOf(options: EventSourceOptions): string {
  return options.functionName ?? 'kafka-lambda-local';
}

function integerIn(value: number, min: number, max: number, path: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidTestInputError(path, `an integer from ${min} to ${max}`);
  }
  return value;
}
