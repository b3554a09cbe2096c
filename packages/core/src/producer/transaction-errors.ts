// What the real client (@confluentinc/kafka-javascript 1.10.1, librdkafka 2.x) hands to the callbacks
// of initTransactions / beginTransaction / commitTransaction / abortTransaction, recorded against a
// Kafka 4.1 broker (packages/core/test/recordings/client-errors.json, the `txn-` scenarios):
// - a LibrdKafkaError with librdkafka's real `code` and, on init/commit/abort, `isFatal`,
//   `isRetriable` and `isTxnRequiresAbort` (beginTransaction's error has none of the three);
// - a message the broker refused inside the transaction → commit fails with the refusal's code
//   (e.g. 10) and `isTxnRequiresAbort: true`; abort then succeeds and the client is usable;
// - fenced (another instance initialized the same transactional.id, or the coordinator aborted a
//   transaction older than transaction.timeout.ms) → code -144 `isFatal: true` on commit and abort,
//   code -144 without flags on begin; the client never works again;
// - commit or init timed out → code -185 `isRetriable: true` ("retry call to resume"); abort during a
//   timed-out commit is refused (-173 "Conflicting commit_transaction API call is already in progress");
// - an operation in the wrong state → code -172 ("Operation not valid in state Ready").
import { KafkaLambdaError } from '../shared/errors.js';

/** librdkafka's `_FENCED`: another producer instance took this transactional.id. */
export const ERR_FENCED = -144;

/** What a failed transactional call leaves the client able to do. */
export type TransactionFailureKind =
  /** The transaction must be aborted; the client then begins the next one as usual. */
  | 'abortable'
  /** Timed out: the call goes on in the background, the outcome is unknown until it is resumed. */
  | 'retriable'
  /** Fenced or fatal: this client never commits again; a new one (same transactional.id) is needed. */
  | 'fatal';

/** The transactional step that failed. */
export type TransactionOperation = 'init' | 'begin' | 'commit' | 'abort';

/**
 * A transactional call of the producer failed: `operation` says which, `kind` what the client can
 * still do, `code` is librdkafka's code (e.g. -144 fenced, -185 timed out, 10 a refused message).
 * The invocation fails, so the ESM retries the batch; the outputs of the failed transaction are
 * never visible to `isolation.level=read_committed` consumers, except after a `retriable` commit
 * failure, whose commit may still complete.
 *
 * @example
 * ```ts
 * try {
 *   await handler(event, context);
 * } catch (error) {
 *   if (error instanceof TransactionError && error.fenced) console.log('another producer took the transactional.id');
 * }
 * ```
 */
export class TransactionError extends KafkaLambdaError {
  override name = 'TransactionError';
  constructor(
    readonly operation: TransactionOperation,
    readonly kind: TransactionFailureKind,
    readonly code: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${operation} of the transaction failed (${kind}): ${reason}${code === undefined ? '' : ` (code ${code})`}`,
      options,
    );
  }

  /** Another producer instance initialized the same transactional.id, or the coordinator timed the transaction out. */
  get fenced(): boolean {
    return this.code === ERR_FENCED;
  }
}

/**
 * Classifies a transactional call's error from its recorded shape: `isTxnRequiresAbort` → abortable,
 * `isFatal` or the fenced code → fatal, `isRetriable` → retriable; anything else (a state error, an
 * unknown shape) is treated as fatal, since a client in an unknown state is safest replaced.
 *
 * @example
 * ```ts
 * client.commitTransaction(5_000, (error) => {
 *   if (error) throw transactionError('commit', error); // kind 'abortable' | 'retriable' | 'fatal'
 * });
 * ```
 */
export function transactionError(operation: TransactionOperation, error: unknown): TransactionError {
  const shape = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    isFatal?: unknown;
    isRetriable?: unknown;
    isTxnRequiresAbort?: unknown;
  };
  const code = typeof shape.code === 'number' && shape.code !== -1 ? shape.code : undefined;
  const kind: TransactionFailureKind =
    shape.isFatal === true || code === ERR_FENCED
      ? 'fatal'
      : shape.isTxnRequiresAbort === true
        ? 'abortable'
        : shape.isRetriable === true
          ? 'retriable'
          : 'fatal';
  const reason = typeof shape.message === 'string' ? shape.message : String(error);
  return new TransactionError(operation, kind, code, reason, { cause: error });
}
