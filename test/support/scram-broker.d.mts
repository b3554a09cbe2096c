// Types for scram-broker.mjs.
import type { IsolatedKafka } from '../../scripts/stack/index.mjs';

export declare const ADMIN: Readonly<{ username: string; password: string }>;

export interface ScramBroker {
  readonly broker: IsolatedKafka;
  /** bootstrap.servers of the SASL_PLAINTEXT listener, e.g. 127.0.0.1:19292 */
  readonly brokers: string;
  /** librdkafka properties of a client logging in as the super user `admin` (PLAIN). */
  readonly adminKafkaConfig: Record<string, string>;
  addUser(user: string, password: string): Promise<void>;
  removeUser(user: string): Promise<void>;
  denyWrite(user: string, topic: string): Promise<void>;
  denyCluster(user: string): Promise<void>;
  removeAcls(user: string): Promise<void>;
  stop(): Promise<void>;
}

export declare function startScramBroker(opts?: {
  name?: string;
  port?: number;
  controllerPort?: number;
  properties?: Record<string, string | number | boolean>;
}): Promise<ScramBroker>;
