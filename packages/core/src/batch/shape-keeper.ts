import type { LambdaContext } from '../contract/lambda.js';
import { type KafkaEvent, parseKafkaEvent } from '../event/event.js';
import { ParsedHeaderBytes } from '../event/parsed-header-bytes.js';
import { recordOfParsedEvent } from '../record/record.js';
import { RecordContext } from '../record/record-context.js';
import { Batch } from './batch.js';
import type { HandlerSettings } from './batch-settings.js';
import { PartitionRunner } from './partition-runner.js';

/**
 * One record as the ESM sends it, parsed from JSON as the Lambda runtime parses the event: its
 * objects then have the hidden classes of a real event's (an object literal's would be other ones,
 * and the event check's property reads would see two shapes instead of one). No header: a header
 * object's class depends on its name, and the hot loop that copies header bytes would see one more.
 */
const SPECIMEN_EVENT = JSON.stringify({
  eventSource: 'aws:kafka',
  eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/kafka-lambda-specimen/0',
  bootstrapServers: 'kafka-lambda.specimen:9092',
  records: {
    'kafka-lambda.specimen-0': [
      {
        topic: 'kafka-lambda.specimen',
        partition: 0,
        offset: 0,
        timestamp: 1_700_000_000_000,
        timestampType: 'CREATE_TIME',
        key: 'AA==',
        value: 'AA==',
        headers: [],
      },
    ],
  },
});

/** A context whose deadline never nears: the specimen batch reads it once, when it is made. */
const SPECIMEN_CONTEXT: LambdaContext = {
  awsRequestId: 'kafka-lambda.specimen',
  functionName: 'kafka-lambda.specimen',
  getRemainingTimeInMillis: () => 900_000,
};

/**
 * Rebuilt at these invocation counts (powers of two up to 1,024, then every 1,024th): a field whose
 * first value was an integer and later holds a fraction moves its class's instances to a new
 * hidden class, which only specimens built after that have.
 */
const REFRESH_EVERY = 1_024;

/**
 * Keeps one live instance of each class an invocation makes on every record's path (the batch with
 * what it owns, a partition's runner and pipeline, a record, its context, a partition's header
 * bytes), built from a one-record event that never runs: nothing here calls `process`, a
 * deserializer, an observer or the producer.
 *
 * Why: V8's optimized code checks objects against their hidden classes (maps) and holds those maps
 * weakly, and the map of a class instance with its fields is reachable only from live instances
 * (the transitions that lead to it are weak too). Once every object of the last invocation is dead,
 * a major GC frees their maps and deoptimizes every function compiled against them
 * (`--trace-deopt`: "embedded weak objects cleared"), so the next invocation ran its first thousands
 * of records in the interpreter while V8 optimized again: 2–4× the time of a bare loop, which uses
 * built-in classes only. A live specimen of each keeps the maps, and so the optimized code.
 *
 * @example
 * ```ts
 * const shapes = new ShapeKeeper(settings); // once per handler
 * // …after each invocation:
 * shapes.invocationEnded();
 * ```
 */
export class ShapeKeeper {
  readonly #settings: HandlerSettings;
  #specimens: readonly object[] = [];
  #invocations = 0;

  constructor(settings: HandlerSettings) {
    // Observers start in the batch's constructor, and they are user code: the specimen has none.
    // The maps do not depend on what a field holds, so the copy's batch has the real one's map.
    this.#settings = settings.instrumentation.length > 0 ? { ...settings, instrumentation: [] } : settings;
    this.#refresh();
  }

  /** The specimens (for tests that compare their maps with a real invocation's objects). */
  get specimens(): readonly object[] {
    return this.#specimens;
  }

  /** Counts an invocation; rebuilds the specimens on the schedule of {@link REFRESH_EVERY}. */
  invocationEnded(): void {
    const n = ++this.#invocations;
    if (n % REFRESH_EVERY === 0 || (n < REFRESH_EVERY && (n & (n - 1)) === 0)) this.#refresh();
  }

  #refresh(): void {
    const event = JSON.parse(SPECIMEN_EVENT) as KafkaEvent;
    const partitions = parseKafkaEvent(event);
    const batch = new Batch(this.#settings, SPECIMEN_CONTEXT, event, partitions);
    const partition = partitions[0]!;
    const runner = new PartitionRunner(partition, 0, batch);
    const record = recordOfParsedEvent(partition.records[0]!);
    // A record's headers: KafkaHeaders.EMPTY keeps their class; the copy of a partition's bytes is made here.
    const headerBytes = new ParsedHeaderBytes(1);
    this.#specimens = [batch, runner, record, headerBytes, new RecordContext(record, runner)];
  }
}
