import type { NativeProducer } from './native-client.js';
import type { ProducerConnectionError } from './producer-errors.js';

/** What a wait for a client needs from the client's lifecycle (a ClientConnection). */
export interface WaitedConnection {
  readonly client: NativeProducer | undefined;
  ensure(): void;
  notConnected(): ProducerConnectionError;
}

/**
 * Waits, bounded, for the connection's ready client (connected, and prepared: e.g. transactions
 * initialized). While anyone waits, `waiting` is true, so the connection keeps retrying failed
 * attempts; a definitive failure ends every wait with its error.
 *
 * @example
 * ```ts
 * const clients = new ClientWaiter(connection);
 * const client = await clients.wait(5_000); // rejects with connection.notConnected() after 5 s
 * ```
 */
export class ClientWaiter {
  readonly #connection: WaitedConnection;
  readonly #waiters = new Set<(error?: Error) => void>();

  constructor(connection: WaitedConnection) {
    this.#connection = connection;
  }

  /** Someone waits for a client. */
  get waiting(): boolean {
    return this.#waiters.size > 0;
  }

  /** The connection has a ready client. */
  ready(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** A connect attempt failed; a definitive failure ends the waits now. */
  failed(error: Error, definitive: boolean): void {
    if (definitive) for (const waiter of [...this.#waiters]) waiter(error);
  }

  /** The ready client, now or once there is one; rejects after `timeoutMs` naming why it is not connected. */
  wait(timeoutMs: number): Promise<NativeProducer> {
    const current = this.#connection.client;
    if (current) return Promise.resolve(current);
    return new Promise<NativeProducer>((resolve, reject) => {
      const waiter = (error?: Error) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        const client = this.#connection.client;
        if (error) reject(error);
        else if (client) resolve(client);
        else reject(this.#connection.notConnected());
      };
      const timer = setTimeout(() => waiter(), timeoutMs);
      this.#waiters.add(waiter);
      this.#connection.ensure();
    });
  }
}
