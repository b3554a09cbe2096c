import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { BROKERS } from './config.js';

const require = createRequire(import.meta.url);

/** The slice of node-rdkafka's Producer (as shipped by @confluentinc/kafka-javascript) the benchmarks use. */
export interface RawProducer {
  connect(options: { timeout: number }, cb: (error: Error | null) => void): void;
  produce(
    topic: string,
    partition: number,
    value: Buffer | null,
    key: Buffer | null,
    timestamp?: number | null,
    opaque?: unknown,
  ): unknown;
  flush(timeoutMs: number, cb: (error: Error | null) => void): void;
  disconnect(timeoutMs: number, cb: () => void): void;
  setPollInBackground(enabled: boolean): void;
  on(event: 'delivery-report', listener: (error: Error | null, report: unknown) => void): void;
}

interface KafkaModule {
  Producer: new (config: Record<string, unknown>) => RawProducer;
  KafkaJS: {
    Kafka: new (config: {
      kafkaJS: Record<string, unknown>;
    }) => {
      admin(): {
        connect(): Promise<void>;
        disconnect(): Promise<void>;
        createTopics(options: {
          topics: Array<{ topic: string; numPartitions: number; replicationFactor?: number }>;
        }): Promise<boolean>;
        deleteTopics(options: { topics: string[] }): Promise<void>;
      };
    };
  };
}

export function kafkaModule(): KafkaModule {
  return require('@confluentinc/kafka-javascript') as KafkaModule;
}

/** True when something accepts TCP on the first bootstrap server. */
export function brokerAnswers(timeoutMs = 1_500): Promise<boolean> {
  const [host, port] = BROKERS.split(',')[0]!.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port ?? 9092) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Auto-creation is off on the local broker: create uniquely named topics with the KafkaJS-style admin. */
export async function createTopics(names: string[], partitions: number): Promise<() => Promise<void>> {
  const { Kafka } = kafkaModule().KafkaJS;
  const admin = new Kafka({ kafkaJS: { brokers: BROKERS.split(','), logLevel: 0 } }).admin();
  await admin.connect();
  await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions })) });
  return async () => {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
    await admin.disconnect();
  };
}

export function uniqueName(prefix: string): string {
  return `${prefix}.${Date.now().toString(36)}.${process.pid}`;
}
