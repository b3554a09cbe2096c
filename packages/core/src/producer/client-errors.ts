// What the real client (@confluentinc/kafka-javascript 1.10.1 over librdkafka 2.x) hands to JavaScript,
// and what each means for the producer. Every shape here was recorded against a Kafka 4.1 broker:
// packages/core/test/recordings/client-errors.json (and the script that produced it).
//
// - `event.error` is a LibrdKafkaError rebuilt from the message TEXT: code -1, no `isFatal`, the
//   message lower-cased after its first ': ' ("authentication failure", "all broker connections are
//   down", "cluster authorization failed"). Only the text can be classified.
// - `event.log` (error lines, severity <= 3) is the only place a fatal error says so ("FATAL" facility,
//   "Fatal error: …"), and the only place that tells a refused password ("SASL authentication error:
//   Authentication failed … due to invalid credentials") from a broker that merely did not answer:
//   `event.error` says "authentication failure" in BOTH cases (recorded: a broker paused past
//   connections.max.reauth.ms gives it too, and then delivers). While connecting nothing polls, so
//   there is no `event.error` at all, only the log.
// - delivery reports and produce() throws carry real librdkafka codes (10, 17, 29, -184, -192, …).
import type { NativeError, NativeLog } from './native-client.js';
import { ProducerDeliveryError } from './producer-errors.js';

/** What a client event says about the client's health. */
export type ClientHealth =
  /** Credentials refused: the client cannot recover by itself; re-read them and rebuild. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** Fatal (e.g. idempotence state lost, cluster authorization refused): the client never delivers again. */
  | { readonly kind: 'fatal'; readonly reason: string }
  /** Every broker connection is down; librdkafka keeps reconnecting. */
  | { readonly kind: 'unreachable'; readonly reason: string }
  /** Anything else: logged, no action. */
  | { readonly kind: 'transient'; readonly reason: string };

/** librdkafka error codes the producer acts on. */
export const ERR = {
  QUEUE_FULL: -184,
  TIMED_OUT: -185,
  MSG_TIMED_OUT: -192,
  ALL_BROKERS_DOWN: -187,
  FATAL: -150,
  MSG_SIZE_TOO_LARGE: 10,
} as const;

/**
 * Codes after which the same message can never be delivered, whatever the retry: the record that
 * produced it fails under its error policy instead of failing every retry of the batch.
 * (A missing topic is NOT here: librdkafka reports it as -192 "Message timed out", and it may be created.)
 */
const PERMANENT_CODES = new Map<number, string>([
  [10, 'MSG_SIZE_TOO_LARGE'],
  [17, 'INVALID_TOPIC_EXCEPTION'],
  [18, 'RECORD_LIST_TOO_LARGE'],
  [29, 'TOPIC_AUTHORIZATION_FAILED'],
  [31, 'CLUSTER_AUTHORIZATION_FAILED'],
  [32, 'INVALID_TIMESTAMP'],
  [43, 'UNSUPPORTED_FOR_MESSAGE_FORMAT'],
  [44, 'POLICY_VIOLATION'],
  [87, 'INVALID_RECORD'],
  [-190, 'UNKNOWN_PARTITION'],
  [-186, 'INVALID_ARG'],
  [-154, 'INVALID_TYPE'],
]);

const UNREACHABLE_TEXT = /all broker connections are down/i;
// "this instance has been fenced by a newer instance": a transactional client another took the id of
// (or whose transaction the coordinator timed out), recorded in the txn- scenarios.
const FATAL_TEXT = /^fatal error|cluster authorization failed|fenced by a newer instance/i;

/** Classifies an `event.error` (text only: see the file comment). */
export function classifyClientError(error: NativeError): ClientHealth {
  const reason = error.message;
  if (error.isFatal === true || error.code === ERR.FATAL || FATAL_TEXT.test(reason))
    return { kind: 'fatal', reason };
  // "authentication failure" alone is not a refusal (see above): the log line decides.
  if (error.code === ERR.ALL_BROKERS_DOWN || UNREACHABLE_TEXT.test(reason))
    return { kind: 'unreachable', reason };
  return { kind: 'transient', reason };
}

/** Classifies an `event.log` line; undefined for lines that say nothing about health. */
export function classifyClientLog(log: NativeLog): ClientHealth | undefined {
  if (log.severity > 4) return undefined;
  // "[thrd:main]: Fatal error: Broker: Cluster authorization failed: …": drop the thread prefix.
  const text = log.message.replace(/^\[thrd:[^\]]*\]:\s*/, '');
  if (log.fac === 'FATAL' || /Fatal error:/.test(text)) return { kind: 'fatal', reason: text };
  const sasl = text.indexOf('SASL authentication error');
  if (sasl >= 0) return { kind: 'refused', reason: text.slice(sasl) };
  if (log.fac === 'FAIL') return { kind: 'transient', reason: text };
  return undefined;
}

/** True when a message refused with this code can never be delivered as it is. */
export function isPermanentCode(code: number | undefined): boolean {
  return code !== undefined && PERMANENT_CODES.has(code);
}

/** A delivery report's error (or a produce() throw) as the SDK's typed error, `permanent` set from its code. */
export function deliveryError(topic: string, error: unknown): ProducerDeliveryError {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const numeric = typeof code === 'number' && code !== -1 ? code : undefined;
  return new ProducerDeliveryError(
    topic,
    numeric,
    isPermanentCode(numeric),
    typeof message === 'string' ? message : String(error),
    { cause: error },
  );
}
