import type { LibrdkafkaConfig } from '../config/config-source.js';
import type { ProducerTransactions } from '../contract/producer.js';
import { ConfigError } from '../shared/errors.js';
import { DefinitiveConnectFailure } from './client-setup.js';
import { ClientWaiter, type WaitedConnection } from './client-waiter.js';
import type { NativeError, NativeProducer } from './native-client.js';
import { PRODUCER_DEFAULTS } from './producer-defaults.js';
import { TransactionError, transactionError } from './transaction-errors.js';
import { TransactionTurn } from './transaction-turn.js';

/**
 * Makes a producer transactional: each batch's outputs become one Kafka transaction.
 *
 * The producer's `transactional.id` is `<idPrefix>-<random UUID>`, drawn once per producer, so once
 * per container: Lambda gives a container no stable identity, and the ESM commits the input offsets
 * itself (no `sendOffsetsToTransaction`), so there is nothing stable to fence on. A rebuilt client
 * (after a fatal error or an unknown commit outcome) keeps the id: its `initTransactions` fences the
 * old client and ends what it left open. See docs/effectively-once.md for the reasoning.
 *
 * @example
 * ```ts
 * const producer = kafkaProducer(config, { transactional: { idPrefix: 'settlement', timeoutMs: 120_000 } });
 * ```
 */
export interface TransactionalOptions {
  /** The `transactional.id` before the random suffix. Default: `AWS_LAMBDA_FUNCTION_NAME`, else `kafka-lambda`. */
  idPrefix?: string;
  /**
   * librdkafka's `transaction.timeout.ms`: the coordinator aborts (and fences) a transaction open
   * longer, e.g. one a crashed container left, which until then holds back read_committed consumers
   * of its partitions. Set it just above the function's timeout. Default 900000 (15 min: above the
   * 14-minute limit of a Kafka ESM function, and the broker's default `transaction.max.timeout.ms`).
   */
  timeoutMs?: number;
}

/** The default `transaction.timeout.ms`: longer than any Kafka ESM invocation (14 minutes). */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 900_000;

/** What the transactions need from the client's lifecycle (a ClientConnection). */
export interface TransactionalConnection extends WaitedConnection {
  discard(client: NativeProducer, reason: string): void;
}

/** Rejects transactional options no broker would take; returns them with defaults. */
export function checkTransactionalOptions(options: unknown): Required<TransactionalOptions> {
  if (typeof options !== 'object' || options === null)
    throw new ConfigError('transactional must be true or { idPrefix?, timeoutMs? }');
  const { idPrefix, timeoutMs, ...rest } = options as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown) throw new ConfigError(`transactional has no option \`${unknown}\``);
  if (idPrefix !== undefined && (typeof idPrefix !== 'string' || idPrefix.trim() === ''))
    throw new ConfigError('transactional.idPrefix must be a non-empty string');
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1_000)
  )
    throw new ConfigError('transactional.timeoutMs must be a whole number of milliseconds, 1000 or more');
  return {
    idPrefix: idPrefix ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'kafka-lambda',
    timeoutMs: timeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS,
  };
}

/**
 * The transaction of the current batch on the producer's client: `init` once per client (the
 * connection's prepare step, inside its connect budget), then `begin` / `commit` / `abort` per
 * batch, each bounded by the caller's timeout. A fatal or unknown outcome discards the client; the
 * next `begin` waits for a new one (same `transactional.id`).
 *
 * @example
 * ```ts
 * await transactions.begin(deadlineMs);
 * // … enqueue the batch's messages, wait for their reports …
 * await transactions.commit(deadlineMs); // throws a TransactionError: the invocation fails
 * ```
 */
export class ClientTransactions implements ProducerTransactions {
  readonly transactionalId: string;
  /** Waits for the ready client; the producer tells it when the connection is ready or failed. */
  readonly clients: ClientWaiter;
  readonly #timeoutMs: number;
  readonly #connection: TransactionalConnection;
  /** The client whose transaction is open (begun, not yet committed or aborted). */
  #open: NativeProducer | undefined;
  /** Held from a batch's begin to its commit or abort. */
  readonly #turn = new TransactionTurn();

  constructor(connection: TransactionalConnection, options: TransactionalOptions = {}) {
    const { idPrefix, timeoutMs } = checkTransactionalOptions(options);
    this.#connection = connection;
    this.clients = new ClientWaiter(connection);
    // The global's getter loads crypto at its first use; importing node:crypto costs ~7 ms of every cold start.
    this.transactionalId = `${idPrefix}-${globalThis.crypto.randomUUID()}`;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * A client's config: the user's, with `transactional.id` and `transaction.timeout.ms` over it, and
   * `message.timeout.ms` lowered to the transaction timeout when above it (librdkafka refuses the
   * client otherwise: "`message.timeout.ms` must be set <= `transaction.timeout.ms`", seen live).
   */
  configure(config: LibrdkafkaConfig): LibrdkafkaConfig {
    const messageTimeoutMs = Number(config['message.timeout.ms'] ?? PRODUCER_DEFAULTS['message.timeout.ms']);
    return {
      ...config,
      'transactional.id': this.transactionalId,
      'transaction.timeout.ms': this.#timeoutMs,
      ...(!(messageTimeoutMs <= this.#timeoutMs) && { 'message.timeout.ms': this.#timeoutMs }),
    };
  }

  /** Once per new client, before it takes any message. A fatal refusal is definitive. */
  async init(client: NativeProducer, timeoutMs: number): Promise<void> {
    const error = await call((done) => client.initTransactions!(timeoutMs, done));
    if (!error) return;
    const failure = transactionError('init', error);
    if (failure.kind === 'fatal') throw new DefinitiveConnectFailure(failure.message);
    throw failure;
  }

  /** Waits (up to `timeoutMs`) for a client with transactions initialized, and begins one. */
  async begin(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    // A holder older than transaction.timeout.ms is gone (the coordinator aborted its transaction).
    if (this.#turn.heldForMs >= this.#timeoutMs) this.#turn.release();
    if (!(await this.#turn.take(until)))
      throw new TransactionError(
        'begin',
        'retriable',
        undefined,
        'the transaction of another invocation in this process on the same producer did not end in time',
      );
    try {
      // A transaction left open (its batch never ended it) is aborted first: it must not commit later.
      if (this.#open) await this.#abortOpen(timeoutMs).catch(() => undefined);
      const client = await this.clients.wait(Math.max(0, until - Date.now()));
      const error = await call((done) => client.beginTransaction!(done));
      if (error) {
        const failure = transactionError('begin', error);
        this.#discard(client, failure);
        throw failure;
      }
      this.#open = client;
    } catch (error) {
      this.#turn.release();
      throw error;
    }
  }

  /**
   * Commits the open transaction within `timeoutMs`. Throws a {@link TransactionError} when it did
   * not commit: an abortable failure is aborted here (the client stays), any other discards the client.
   */
  async commit(timeoutMs: number): Promise<void> {
    try {
      await this.#commitOpen(timeoutMs);
    } finally {
      this.#turn.release();
    }
  }

  async #commitOpen(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const client = this.#take('commit');
    const error = await call((done) => client.commitTransaction!(Math.max(1, timeoutMs), done));
    if (!error) return;
    const failure = transactionError('commit', error);
    if (failure.kind === 'abortable') {
      const abortError = await call((done) =>
        client.abortTransaction!(Math.max(1, until - Date.now()), done),
      );
      if (abortError) this.#discard(client, transactionError('abort', abortError));
    } else {
      // Timed out (the commit goes on in the background: abort is refused then, recorded) or fenced.
      // A new client with the same id ends it for good: its initTransactions fences this one.
      this.#discard(client, failure);
    }
    throw failure;
  }

  /** Aborts the open transaction, if any; a failure discards the client and is thrown. */
  async abort(timeoutMs: number): Promise<void> {
    try {
      await this.#abortOpen(timeoutMs);
    } finally {
      this.#turn.release();
    }
  }

  async #abortOpen(timeoutMs: number): Promise<void> {
    if (!this.#open) return;
    const client = this.#take('abort');
    const error = await call((done) => client.abortTransaction!(Math.max(1, timeoutMs), done));
    if (!error) return;
    const failure = transactionError('abort', error);
    this.#discard(client, failure);
    throw failure;
  }

  #take(operation: 'commit' | 'abort'): NativeProducer {
    const client = this.#open;
    this.#open = undefined;
    if (!client) throw new TransactionError(operation, 'fatal', undefined, 'no transaction is open');
    return client;
  }

  #discard(client: NativeProducer, failure: TransactionError): void {
    this.#connection.discard(client, failure.message);
  }
}

/** Runs a callback-style call; resolves with its error (a throw counts as one). */
function call(operation: (done: (error: NativeError | null | undefined) => void) => void): Promise<unknown> {
  return new Promise<unknown>((resolve) => {
    try {
      operation((error) => resolve(error ?? undefined));
    } catch (error) {
      resolve(error);
    }
  });
}
