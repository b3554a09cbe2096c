import type { Logger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import type { TestLambdaContext } from '@kafka-lambda/testing';

/** A Lambda handler as the runner calls it in-process. */
export type LocalHandler = (event: KafkaEvent, context: TestLambdaContext) => unknown;

/**
 * Where the ESM starts reading a partition that has no committed offset yet; `AT_TIMESTAMP` at the
 * first record at or after `startingPositionTimestamp`.
 */
export type StartingPosition = 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';

/**
 * What to do with a partition's records once `maxRetries` retries failed. Lambda without an on-failure
 * destination would keep retrying or silently move on; locally neither is acceptable, so both choices
 * log at error level:
 * - `stop`: stop the runner (nothing committed past the failure); `done` rejects with `RetriesExhaustedError`.
 * - `skip`: commit past the failed records, report them in `stats.skipped` and `onSkip`, go on.
 */
export type RetriesExhaustedAction = 'stop' | 'skip';

/** Runs the handler inside the AWS Lambda Runtime Interface Emulator instead of in-process. */
export interface RieOptions {
  /** Built handler file (`.js`/`.mjs`/`.cjs`) the emulator's Node runtime loads. */
  handlerFile: string;
  /** Exported function name. Default `handler`. */
  exportName?: string;
  /** The `aws-lambda-rie` binary. Default `$AWS_LAMBDA_RIE_BIN`, then `aws-lambda-rie` on the PATH. */
  rieBin?: string;
  /** Extra environment for the function (the emulator forwards its own environment). */
  env?: Record<string, string>;
  /** Forward the emulator's and the function's output to this process's stdout/stderr. Default false. */
  inheritOutput?: boolean;
}

/** Options of `runEventSource`. */
export interface EventSourceOptions {
  /** `host:port` list of the Kafka cluster. */
  brokers: string | readonly string[];
  /** Topics to consume. */
  topics: readonly string[];
  /** The handler, called in-process. Exactly one of `handler` and `rie` is required. */
  handler?: LocalHandler;
  /** Run a built handler file inside the Runtime Interface Emulator. */
  rie?: RieOptions;
  /** Consumer group, as `ConsumerGroupId` of the ESM. Default a fresh `kafka-lambda-local-<uuid>`. */
  groupId?: string;
  /** 1–10,000. Default 100 (the ESM's default). */
  batchSize?: number;
  /** Maximum batching window, 0–300,000 ms. Default 500 (the Kafka ESM's default). */
  batchWindowMs?: number;
  /** Default `TRIM_HORIZON` (a test usually produces before the runner has its partitions). */
  startingPosition?: StartingPosition;
  /**
   * `StartingPositionTimestamp`, needed by `AT_TIMESTAMP` (and only there): Unix time in seconds, as
   * AWS takes it (fractions allowed), or a Date. A partition without a committed offset starts at its
   * first record whose timestamp is at or after it (the consumer's `offsetsForTimes`), or at its end.
   */
  startingPositionTimestamp?: number | Date;
  /** Honour `{ batchItemFailures }` responses (`FunctionResponseTypes: [ReportBatchItemFailures]`). Default false. */
  reportBatchItemFailures?: boolean;
  /**
   * `MaximumRetryAttempts`: retries of a failing batch (or of a reported record) before its records go
   * to `onFailureDestination`, or, without one, to `onRetriesExhausted`. `-1` or `Infinity` retries
   * forever (the ESM's default), except that with a destination AWS caps it at 10, and so does the
   * runner. Default 3.
   */
  maxRetries?: number;
  /** Without `onFailureDestination`: what happens once retries are exhausted. Default `stop`. */
  onRetriesExhausted?: RetriesExhaustedAction;
  /**
   * `BisectBatchOnFunctionError`: when the function throws (not when it reports batch item failures),
   * split the batch in two and retry each half, the first before the second, until the failing
   * record is alone; splitting does not consume retries. Default false.
   */
  bisectBatchOnFunctionError?: boolean;
  /**
   * `MaximumRecordAgeInSeconds`: records older than this (by their Kafka timestamp) are not sent to
   * the function, nor retried, but go to `onFailureDestination` (or are skipped, logged at error
   * level). `-1` (default) is infinite. AWS accepts 60–604,800; the runner any positive number.
   */
  maxRecordAgeSeconds?: number;
  /**
   * `DestinationConfig.OnFailure.Destination`: where records go once retries are exhausted or they
   * are too old, their offsets committed once written. `kafka://<topic>` writes the topic in the same
   * cluster; an S3 bucket, SQS queue or SNS topic ARN writes JSON files under `failureDir`, in AWS's
   * shape. Default none.
   */
  onFailureDestination?: string;
  /** Where S3, SQS and SNS destinations are written. Default `.kafka-lambda-local/failures`. */
  failureDir?: string;
  /**
   * `FilterCriteria`: only records whose `value` matches one of the patterns are sent to the
   * function; the others are committed without an invocation. Lambda's filter syntax (exact values,
   * `prefix`, `suffix`, `equals-ignore-case`, `anything-but`, `numeric`, `exists`, `$or`), on the
   * value as JSON, or as a plain string when it is not JSON. Default none.
   */
  filterCriteria?: { readonly Filters: ReadonlyArray<{ readonly Pattern: string }> };
  /**
   * `SchemaRegistryConfig`: the ESM's schema registry integration. The parts named in `attributes`
   * are decoded with the registry (Avro, Protobuf, JSON Schema; Confluent wire format) before
   * filtering and invocation, and delivered as `eventRecordFormat` says, with
   * `keySchemaMetadata` / `valueSchemaMetadata`; a record whose schema is unknown or whose bytes do not
   * decode goes to `onFailureDestination` (`SCHEMA_NOT_FOUND`, `DESERIALIZATION_ERROR`). Needs
   * `@kafka-lambda/serdes`. Default none.
   */
  schemaRegistry?: EsmSchemaRegistryOptions;
  /** First retry delay; doubles per retry up to `maxBackoffMs`. Default 200 ms. */
  retryBackoffMs?: number;
  /** Default 5,000 ms. */
  maxBackoffMs?: number;
  /** The function timeout, as the context's `getRemainingTimeInMillis()` counts it. Default 60,000 ms. */
  timeoutMs?: number;
  /** Invocations in flight at once, each on other partitions. Default 1 (forced to 1 with `rie`). */
  concurrency?: number;
  /** Payload cap of one invocation. Default 6 MB (6,291,456 bytes), Lambda's synchronous limit. */
  maxPayloadBytes?: number;
  /** `aws:kafka` (with an ARN) or `SelfManagedKafka` (default). */
  eventSource?: 'aws:kafka' | 'SelfManagedKafka';
  /**
   * Who invokes the function: `esm` (default) sends event source mapping events; `sink-connector`
   * acts as Confluent's AWS Lambda Sink Connector in sync mode (one invocation per partition, an array
   * of `{ payload }`, no partial batch response; batch size default 20, `aws.lambda.batch.size`'s).
   */
  mode?: 'esm' | 'sink-connector';
  /**
   * The topics are an ESM on-failure destination (`kafka://…`): each batch of its messages is turned
   * back into the original records with `fromFailureRecords` and handed to the handler. Default false.
   */
  fromFailures?: boolean;
  /** Header bytes as Java signed bytes, as AWS sends them. Default true. */
  signedHeaderBytes?: boolean;
  /**
   * `MetricsConfig.Metrics`: the ESM metric groups to emit when the runner stops, as CloudWatch
   * embedded metric format (EMF) documents: `EventCount` (PolledEventCount, FilteredOutEventCount,
   * InvokedEventCount, FailedInvokeEventCount, DroppedEventCount,
   * OnFailureDestinationDeliveredEventCount) and `KafkaMetrics` (OffsetLag, at the end). `ErrorCount`
   * is not emulated (refused). Default none.
   */
  metrics?: ReadonlyArray<'EventCount' | 'KafkaMetrics'>;
  /** Where the metrics' EMF documents go. Default one JSON line each on stderr. */
  onMetrics?: (document: Record<string, unknown>) => void;
  /** Extra librdkafka consumer properties (SASL, TLS, …); they override the runner's. */
  consumerConfig?: Record<string, string | number | boolean>;
  /**
   * When the runner stops (after `stop()` or a fatal error), close the producer the handler exposes as
   * `handler.producer` (what `createKafkaHandler` returns has one): its native client's threads would
   * otherwise keep the process alive after the script's last line. Default true; set false to go on
   * using the handler's producer after the runner stopped.
   */
  closeHandlerProducer?: boolean;
  /** Function name in the context. Default `kafka-lambda-local`. */
  functionName?: string;
  /** Default: one JSON line per message on stderr, prefixed `[kafka-lambda-local]`. */
  logger?: Logger;
  /** Called after each invocation (success or not). */
  onBatch?: (batch: BatchReport) => void;
  /** Called when records are skipped after exhausted retries (`onRetriesExhausted: 'skip'`). */
  onSkip?: (records: readonly RecordRef[], error: Error) => void;
}

/**
 * A registry client as `@kafka-lambda/serdes`' `schemaRegistry()` or the testing package's
 * `memorySchemaRegistry()` return it (declared structurally, so that the public types never name the
 * optional peer dependency).
 */
export interface EsmRegistryClient {
  /** `GET /schemas/ids/{id}`: the schema and its type (absent: `AVRO`); rejects with serdes' `SchemaNotFoundError` for an unknown id. */
  getSchemaById(id: number): Promise<{ schema: string; schemaType?: string }>;
}

/** The ESM's `SchemaRegistryConfig`, as the local runner applies it. */
export interface EsmSchemaRegistryOptions {
  /**
   * `SchemaRegistryURI` of a Confluent-compatible registry (the local stack's Apicurio:
   * `http://127.0.0.1:8081/apis/ccompat/v7`). A Glue registry ARN is refused: there is no local Glue.
   * Exactly one of `uri` and `registry` is required.
   */
  uri?: string;
  /** A registry client instead of `uri`, e.g. `memorySchemaRegistry()` in a unit test. */
  registry?: EsmRegistryClient;
  /**
   * `EventRecordFormat`: `JSON` delivers the decoded record as JSON text (base64 in `key`/`value`),
   * `SOURCE` the original bytes without the schema id (Protobuf message indexes kept). Default `JSON`.
   */
  eventRecordFormat?: 'JSON' | 'SOURCE';
  /** `SchemaValidationConfigs[].Attribute`: the parts decoded with the registry. Default `['VALUE']`. */
  attributes?: ReadonlyArray<'KEY' | 'VALUE'>;
}

/** A record's place in Kafka. */
export interface RecordRef {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Why a batch was sent when it was. */
export type BatchTrigger = 'size' | 'payload' | 'window' | 'retry';

/** What happened to one invocation. */
export interface BatchReport {
  /** 1-based invocation number. */
  readonly invocation: number;
  readonly trigger: BatchTrigger;
  /** The records of the batch, per partition in offset order. */
  readonly records: readonly RecordRef[];
  /** Approximate size of the event's JSON, bytes. */
  readonly payloadBytes: number;
  /** `success`, `partial` (some partitions reported failures) or `error` (the handler threw). */
  readonly outcome: 'success' | 'partial' | 'error';
  /** The records that will be retried (empty on success). */
  readonly retried: readonly RecordRef[];
  /** What the handler returned, or undefined. */
  readonly result: unknown;
  readonly error: Error | undefined;
  /** Offsets committed after this invocation, next-to-read per `<topic>-<partition>`. */
  readonly committed: Readonly<Record<string, number>>;
}

/** Counters, kept current while the runner runs. */
export interface RunnerStats {
  /** Records read from Kafka, each once (`PolledEventCount`). */
  recordsPolled: number;
  /** Invocations made, retries included. */
  invocations: number;
  /** Records delivered to the handler, counting a retried record each time. */
  recordsInvoked: number;
  /** Records whose offsets are committed (processed successfully, or skipped). */
  recordsCommitted: number;
  /** Invocations that threw. */
  errors: number;
  /**
   * Records of failed invocations (`FailedInvokeEventCount`): every record of one that threw, those
   * from the reported offset on of one that reported a failure.
   */
  recordsFailedInvoke: number;
  /** Invocations that returned batch item failures. */
  partialFailures: number;
  /** Retries scheduled (one per partition per failed attempt). */
  retries: number;
  /** Records skipped after exhausted retries, or too old without an on-failure destination. */
  skipped: number;
  /** Records written to the on-failure destination. */
  sentToDestination: number;
  /** Records not invoked because they were older than `maxRecordAgeSeconds`. */
  expired: number;
  /** Failed batches split in two (`bisectBatchOnFunctionError`). */
  bisections: number;
  /** Records that matched no `filterCriteria` filter: committed without an invocation. */
  filtered: number;
  /** Records the schema registry integration could not decode (`SCHEMA_NOT_FOUND`, `DESERIALIZATION_ERROR`). */
  schemaFailures: number;
  /** Next offset to read, per `<topic>-<partition>`, as committed. */
  committed: Record<string, number>;
}

/** The running event source. */
export interface EventSourceRunner {
  /** Resolves once the consumer has its partitions (records produced earlier are read with TRIM_HORIZON). */
  readonly ready: Promise<void>;
  /** Settles when the runner stopped: resolved after `stop()`, rejected on a fatal error (retries exhausted with `stop`). */
  readonly done: Promise<RunnerStats>;
  readonly stats: Readonly<RunnerStats>;
  /** Every invocation so far, in order. */
  readonly batches: readonly BatchReport[];
  /** Resolves when `predicate(stats)` holds (checked after each invocation); rejects on timeout or when the runner fails. */
  waitFor(
    predicate: (stats: RunnerStats, batches: readonly BatchReport[]) => boolean,
    timeoutMs?: number,
  ): Promise<RunnerStats>;
  /** Stops gracefully: no new batch starts, the in-flight ones finish and commit, the consumer leaves its group. */
  stop(): Promise<RunnerStats>;
}

/** One record as the consumer delivered it. */
export interface SourceMessage extends RecordRef {
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
}

/** What the runner needs from a Kafka consumer; the real one is `@confluentinc/kafka-javascript`. */
export interface RecordSource {
  /** Connects and subscribes; `onRevoked` drops buffered records of partitions taken away. */
  start(events: {
    onAssigned(): void;
    onRevoked(partitions: ReadonlyArray<{ topic: string; partition: number }>): void;
  }): Promise<void>;
  /** Up to `max` records, waiting briefly when none is there. */
  poll(max: number): Promise<SourceMessage[]>;
  /** The group's lag on the partitions assigned now (for `KafkaMetrics`); absent when unknown. */
  offsetLag?(): Promise<ReadonlyArray<{ topic: string; partition: number; lag: number }>>;
  /** Commits next-to-read offsets; resolves once the broker stored them. */
  commit(offsets: readonly RecordRef[]): Promise<void>;
  pause(partitions: ReadonlyArray<{ topic: string; partition: number }>): void;
  resume(partitions: ReadonlyArray<{ topic: string; partition: number }>): void;
  close(): Promise<void>;
}

/** Calls the function once; resolves with its result, rejects with its error. */
export interface Invoker {
  invoke(event: KafkaEvent, timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}
