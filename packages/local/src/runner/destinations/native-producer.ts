import { loadNativeClient } from '../kafka-source.js';

// The slice of @confluentinc/kafka-javascript's node-rdkafka-style producer used here, declared so
// the public types never name the optional peer dependency.
interface NativeError {
  code?: number;
  message: string;
}
interface NativeProducerClient {
  connect(options: { timeout: number }, callback: (error: NativeError | null) => void): void;
  setPollInterval(ms: number): void;
  on(
    event: 'delivery-report',
    listener: (error: NativeError | null, report: { opaque?: unknown }) => void,
  ): void;
  on(event: 'event.error', listener: (error: NativeError) => void): void;
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key: Buffer | null,
    timestamp: number | null,
    opaque: unknown,
    headers?: Array<Record<string, Buffer>>,
  ): void;
  flush(timeoutMs: number, callback: (error: NativeError | null) => void): void;
  disconnect(callback: () => void): void;
}
type NativeProducerClass = new (config: Record<string, unknown>) => NativeProducerClient;

/** One message for {@link NativeProducer.send}. */
export interface ProducedMessage {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly partition?: number;
  readonly timestamp?: number;
  readonly headers?: ReadonlyArray<readonly [string, Buffer]>;
}

/**
 * A minimal idempotent `acks=all` producer over librdkafka for what the runner writes itself (the
 * `kafka://` on-failure destination, as Lambda's own producer does): `send` resolves on the message's
 * delivery report, so a write is done only once the broker has it. Loaded lazily, like the consumer.
 */
export class NativeProducer {
  readonly #config: Record<string, unknown>;
  #client: Promise<NativeProducerClient> | undefined;
  readonly #pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #next = 0;

  constructor(brokers: string, config: Record<string, string | number | boolean> = {}) {
    this.#config = {
      'bootstrap.servers': brokers,
      'client.id': 'kafka-lambda-local',
      acks: 'all',
      'enable.idempotence': true,
      'linger.ms': 5,
      dr_cb: true,
      ...config,
    };
  }

  /** Resolves once the broker acknowledged the message; rejects with its delivery error. */
  async send(message: ProducedMessage): Promise<void> {
    const client = await this.#connect();
    const id = this.#next++;
    const delivered = new Promise<void>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    const headers = message.headers?.map(([name, value]) => ({ [name]: value }));
    try {
      client.produce(
        message.topic,
        message.partition ?? null,
        message.value,
        message.key,
        message.timestamp ?? null,
        id,
        headers,
      );
    } catch (error) {
      this.#pending.delete(id);
      throw new Error(`could not produce to ${message.topic}: ${(error as Error).message}`);
    }
    return delivered;
  }

  /** Sends every message, waits for all delivery reports (bounded by `timeoutMs`). */
  async sendAll(messages: readonly ProducedMessage[], timeoutMs: number): Promise<void> {
    const deliveries = messages.map((message) => this.send(message));
    const client = await this.#connect();
    await new Promise<void>((resolve, reject) =>
      client.flush(timeoutMs, (error) =>
        error ? reject(new Error(`flush failed: ${error.message}`)) : resolve(),
      ),
    );
    await Promise.all(deliveries);
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    if (client) await new Promise<void>((resolve) => client.disconnect(() => resolve()));
    for (const { reject } of this.#pending.values()) reject(new Error('producer closed before delivery'));
    this.#pending.clear();
  }

  #connect(): Promise<NativeProducerClient> {
    this.#client ??= (async () => {
      const { Producer } = (await loadNativeClient('the on-failure destination')) as {
        Producer: NativeProducerClass;
      };
      const client = new Producer(this.#config);
      client.on('delivery-report', (error, report) => {
        const id = report?.opaque as number;
        const waiter = this.#pending.get(id);
        if (!waiter) return;
        this.#pending.delete(id);
        if (error) waiter.reject(new Error(`delivery failed: ${error.message} (code ${error.code})`));
        else waiter.resolve();
      });
      client.on('event.error', () => undefined); // retried by librdkafka; a lost write fails its delivery report
      await new Promise<void>((resolve, reject) =>
        client.connect({ timeout: 15_000 }, (error) =>
          error ? reject(new Error(`producer could not connect: ${error.message}`)) : resolve(),
        ),
      );
      client.setPollInterval(20);
      return client;
    })();
    return this.#client;
  }
}
