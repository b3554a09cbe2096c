// A stand-in for @confluentinc/kafka-javascript's Producer that emits ONLY shapes recorded from the real
// client against a real broker (recordings/client-errors.json, see record-client-errors.mjs there).
// Tests choose a recorded scenario; the fake replays its errors, logs and connect outcome.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { NativeError, NativeLog } from '../src/producer/native-client.js';

interface RecordedEvent {
  at: number;
  event: string;
  error?: Record<string, unknown> | null;
  log?: NativeLog;
}

const recording = JSON.parse(
  readFileSync(new URL('./recordings/client-errors.json', import.meta.url), 'utf8'),
) as {
  scenarios: Record<string, { events: RecordedEvent[] }>;
};

/** The recorded events of a scenario, optionally only those of one kind. */
export function recorded(scenario: string, event?: string): RecordedEvent[] {
  const found = recording.scenarios[scenario];
  if (!found) throw new Error(`no recorded scenario "${scenario}"`);
  return event ? found.events.filter((e) => e.event === event) : found.events;
}

/** The first recorded error of `event` in a scenario (a call may have succeeded before it failed). */
export function firstRecordedError(scenario: string, event: string): NativeError & Error {
  const index = recorded(scenario, event).findIndex((e) => e.error);
  return recordedError(scenario, event, Math.max(0, index));
}

/** A recorded error as the client builds it: an Error-like object with the recorded own properties. */
export function recordedError(scenario: string, event: string, index = 0): NativeError & Error {
  const shape = recorded(scenario, event)[index]?.error;
  if (!shape) throw new Error(`no recorded ${event} error in "${scenario}"`);
  const { class: _class, hasIsFatal: _hasIsFatal, ...own } = shape;
  return Object.assign(Object.create(Error.prototype) as Error, own) as NativeError & Error;
}

type Report = { topic: string; partition: number; offset: number; opaque?: unknown };
type TransactionCall = 'initTransactions' | 'beginTransaction' | 'commitTransaction' | 'abortTransaction';

/** How the next fakes behave: which recorded scenario their connect replays, and limits. */
export const behaviour = {
  /** A scenario of the recording whose `connect` outcome (and logs before it) the next connect replays. */
  connect: 'healthy',
  /** librdkafka's queue size (queue.buffering.max.messages); the recorded queue-full error beyond it. */
  queueLimit: Number.POSITIVE_INFINITY,
  /**
   * Recorded scenarios whose first outcome of each transactional call the next calls replay (`txn-`
   * scenarios; e.g. `commit: 'txn-fenced'`). Each is used once, then back to the healthy outcome.
   */
  transactions: {} as Partial<Record<TransactionCall, string>>,
  reset(): void {
    this.connect = 'healthy';
    this.queueLimit = Number.POSITIVE_INFINITY;
    this.transactions = {};
    RecordedProducer.instances = [];
  },
};

export class RecordedProducer extends EventEmitter {
  static instances: RecordedProducer[] = [];
  readonly queued: Array<{ topic: string; value: Buffer | null; opaque: unknown; headers: unknown }> = [];
  readonly connectScenario = behaviour.connect;
  readonly queueLimit = behaviour.queueLimit;
  produced = 0;
  nativeFlushes = 0;
  connected = false;
  disconnected = false;

  constructor(readonly config: Record<string, unknown>) {
    super();
    const thrown = recorded(behaviour.connect, 'constructor.throw')[0];
    if (thrown) throw recordedError(behaviour.connect, 'constructor.throw');
    RecordedProducer.instances.push(this);
  }

  connect(options: { timeout: number }, callback: (error: NativeError | null) => void): void {
    const scenario = this.connectScenario;
    const logs = recorded(scenario).filter(
      (e) => e.event === 'event.log' && e.at < (recorded(scenario, 'connect')[0]?.at ?? 0),
    );
    const connect = recorded(scenario, 'connect')[0];
    setImmediate(() => {
      for (const { log } of logs) this.emit('event.log', log);
      if (!connect?.error) {
        this.connected = true;
        return callback(null);
      }
      // A recorded connect error arrives when the binding's metadata request gave up: after the
      // timeout when it took that long in the recording (all brokers down, password refused).
      const late = connect.at >= 1_000;
      setTimeout(() => callback(recordedError(scenario, 'connect')), late ? options.timeout : 0);
    });
  }

  produce(
    topic: string,
    _p: number,
    value: Buffer | null,
    _k: unknown,
    _t: unknown,
    opaque: unknown,
    headers: unknown,
  ): void {
    // lib/producer.js throws this (the recorded disconnect.throw shape) once the client is disconnected.
    if (!this.connected) throw recordedError('all-brokers-down-at-connect', 'disconnect.throw');
    const limit = Number(this.config['message.max.bytes'] ?? 1_000_000);
    if (value && value.length > limit) throw recordedError('too-large-local', 'produce.throw');
    if (this.queued.length >= this.queueLimit) throw recordedError('queue-full', 'produce.throw');
    // Recorded: a transactional client refuses a message outside a transaction (-172).
    if (this.config['transactional.id'] && !this.inTransaction)
      throw recordedError('txn-produce-outside', 'produce.throw');
    this.produced++;
    this.queued.push({ topic, value, opaque, headers });
  }

  /** Serves delivery reports for everything queued: success, or a recorded delivery error. */
  deliver(error?: { scenario: string }): void {
    for (const [offset, { topic, opaque }] of this.queued.splice(0).entries()) {
      const report: Report = { topic, partition: 0, offset, opaque };
      this.emit('delivery-report', error ? recordedError(error.scenario, 'delivery-report') : null, report);
    }
  }

  /** Replays a scenario's events after connect (event.error, event.log) on this client. */
  replay(scenario: string, kinds = ['event.error', 'event.log']): void {
    for (const event of recorded(scenario)) {
      if (event.event === 'event.error' && kinds.includes('event.error'))
        this.emit(
          'event.error',
          recordedError(scenario, 'event.error', recorded(scenario, 'event.error').indexOf(event)),
        );
      if (event.event === 'event.log' && kinds.includes('event.log')) this.emit('event.log', event.log);
    }
  }

  flush(_timeout: number, callback: (error?: NativeError) => void): void {
    // The library's flush throws the same "Producer not connected" as its disconnect (lib/producer.js).
    if (!this.connected) throw recordedError('all-brokers-down-at-connect', 'disconnect.throw');
    this.nativeFlushes++;
    setImmediate(() => callback());
  }

  disconnect(_timeout: number, callback: () => void): void {
    // Recorded: the library throws for a client that never connected.
    if (!this.connected) throw recordedError('all-brokers-down-at-connect', 'disconnect.throw');
    this.connected = false;
    this.disconnected = true;
    callback();
  }

  setPollInBackground(): void {}

  // ── the transactional API: recorded outcomes (see behaviour.transactions) ──────────────────────
  /** Transactional calls in order, with their outcome: 'ok' or the recorded error's code. */
  readonly transactionCalls: string[] = [];
  inTransaction = false;

  #transactional(call: TransactionCall, callback: (error: NativeError | null) => void, onOk?: () => void) {
    const scenario = behaviour.transactions[call];
    delete behaviour.transactions[call];
    const failed = scenario ? recorded(scenario, call).some((e) => e.error) : false;
    const error = scenario && failed ? firstRecordedError(scenario, call) : null;
    this.transactionCalls.push(`${call}:${error ? error.code : 'ok'}`);
    setImmediate(() => {
      if (!error) onOk?.();
      callback(error);
    });
  }

  initTransactions(_timeout: number, callback: (error: NativeError | null) => void): void {
    this.#transactional('initTransactions', callback);
  }

  beginTransaction(callback: (error: NativeError | null) => void): void {
    this.#transactional('beginTransaction', callback, () => {
      this.inTransaction = true;
    });
  }

  commitTransaction(_timeout: number, callback: (error: NativeError | null) => void): void {
    this.#transactional('commitTransaction', callback, () => {
      this.inTransaction = false;
    });
  }

  abortTransaction(_timeout: number, callback: (error: NativeError | null) => void): void {
    this.#transactional('abortTransaction', callback, () => {
      this.inTransaction = false;
    });
  }
}
