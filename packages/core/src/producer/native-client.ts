// The slice of @confluentinc/kafka-javascript's node-rdkafka-style API the producer uses. Declared here
// so that core's public types never reference the optional peer dependency.
import { AddonLoadError } from './addon-load-error.js';

export interface NativeError {
  code?: number;
  message: string;
  isFatal?: boolean;
}

/** An `event.log` line: syslog severity (0 emergency … 7 debug), librdkafka facility, text. */
export interface NativeLog {
  severity: number;
  fac: string;
  message: string;
}

export interface NativeProducer {
  connect(options: { timeout: number }, callback: (error: NativeError | null) => void): void;
  produce(
    topic: string,
    partition: number,
    value: Buffer | null,
    key: Buffer | null,
    timestamp: number | null,
    opaque: unknown,
    headers?: Array<Record<string, Buffer>>,
  ): unknown;
  flush(timeoutMs: number, callback: (error: NativeError | null | undefined) => void): void;
  disconnect(timeoutMs: number, callback: () => void): void;
  setPollInBackground(enabled: boolean): void;
  // The transactional API (callback errors recorded: see transaction-errors.ts). Optional: only a
  // producer built with `transactional` calls them.
  initTransactions?(timeoutMs: number, callback: (error: NativeError | null | undefined) => void): void;
  beginTransaction?(callback: (error: NativeError | null | undefined) => void): void;
  commitTransaction?(timeoutMs: number, callback: (error: NativeError | null | undefined) => void): void;
  abortTransaction?(timeoutMs: number, callback: (error: NativeError | null | undefined) => void): void;
  on(
    event: 'delivery-report',
    listener: (
      error: NativeError | null,
      report: { topic: string; partition: number; offset: number; opaque?: unknown },
    ) => void,
  ): void;
  on(event: 'event.error', listener: (error: NativeError) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'event.log', listener: (log: NativeLog) => void): void;
}

export type NativeProducerClass = new (config: Record<string, unknown>) => NativeProducer;

interface KafkaClientModule {
  Producer: NativeProducerClass;
}

let loading: Promise<KafkaClientModule> | undefined;

/**
 * Imports the native Kafka client on first use (about 30 ms and a native addon): a function that only
 * consumes never pays for it. A failed load rejects with an {@link AddonLoadError} naming the cause
 * (not installed, built for another Node.js, a missing shared library, …) and is retried on the next call.
 */
export function loadKafkaClient(): Promise<KafkaClientModule> {
  loading ??= import('@confluentinc/kafka-javascript').then(
    (module) => {
      const resolved = (module as { Producer?: unknown; default?: { Producer?: unknown } }).Producer
        ? module
        : (module as { default: unknown }).default;
      return resolved as KafkaClientModule;
    },
    (error: unknown) => {
      loading = undefined;
      throw new AddonLoadError(error, {
        neededBy: 'the producer',
        install: 'install it next to @kafka-lambda/core (`npm install @confluentinc/kafka-javascript`)',
      });
    },
  );
  return loading;
}

/** True once the native client has been imported in this process; lets tests prove lazy loading. */
export function isKafkaClientLoaded(): boolean {
  return loading !== undefined;
}
