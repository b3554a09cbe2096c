import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { type ClaimState, type IdempotencyStore, idempotency } from '@kafka-lambda/idempotency';
import { QUICK } from './config.js';
import { lambdaContext, noop } from './fixtures.js';
import {
  encodeReal,
  io,
  makeRealEvent,
  makeRealTrade,
  type RealTrade,
  readOurs,
} from './realistic-fixtures.js';
import { fmt, type Report } from './report.js';
import { summarize, timeRounds } from './stats.js';

const SECTION = 'Idempotent records: the handler’s own cost per invocation (a store that answers at once)';
const PLAIN = 'kafka-lambda, no idempotency';
const FIRST = 'idempotency, first delivery (claim + complete)';
const AGAIN = 'idempotency, redelivery (every record completed)';

const SIZES = [
  { records: 1, perSample: QUICK ? 20 : 200 },
  { records: 100, perSample: QUICK ? 5 : 50 },
  { records: 10_000, perSample: 1 },
];
const ROUNDS = { warmup: QUICK ? 1 : 3, iterations: QUICK ? 3 : 11 };

/**
 * A Map behind the store contract, answering within the call: what is left is the SDK's own work
 * (the keys, the one claim call, the per-record lookups, the done set, complete). A real store adds
 * its round trips (see the Stores section of docs/effectively-once.md).
 */
class MapStore implements IdempotencyStore {
  readonly entries = new Map<string, 'in-progress' | 'completed'>();
  async claim(keys: readonly string[]): Promise<readonly ClaimState[]> {
    return keys.map((key) => {
      const state = this.entries.get(key);
      if (state) return state;
      this.entries.set(key, 'in-progress');
      return 'claimed';
    });
  }
  async complete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.set(key, 'completed');
  }
  async release(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }
}

/**
 * One consumer-only handler (nothing produced: the part idempotency adds is not hidden behind the
 * broker) on issue 14's realistic trade — its `process` awaits, then reads the key, the trade's
 * fields and every header — without and with `idempotency`, paired in one process: a first delivery
 * (the store emptied before each invocation: every key claimed, then completed) and a redelivery
 * (every key completed: nothing runs).
 */
export async function benchIdempotency(report: Report): Promise<void> {
  const firstStore = new MapStore();
  const againStore = new MapStore();
  const handler = (store?: IdempotencyStore) =>
    createKafkaHandler({
      value: json<RealTrade>(),
      logger: jsonLogger({ write: noop }),
      logSummary: false,
      ...(store && { use: [idempotency({ store })] }),
      async process(record) {
        await io();
        readOurs(record);
      },
    });
  const plain = handler();
  const first = handler(firstStore);
  const again = handler(againStore);
  const groups = [];
  for (const { records, perSample } of SIZES) {
    const event = makeRealEvent(records, (i) => encodeReal('json', makeRealTrade(i)));
    const ctx = lambdaContext();
    await again(event, ctx); // every key completed from now on
    const many = (run: (e: KafkaEvent) => Promise<unknown>) => async () => {
      for (let i = 0; i < perSample; i++) await run(event);
    };
    const samples = await timeRounds(
      [
        { name: PLAIN, run: many((e) => plain(e, ctx)) },
        {
          name: FIRST,
          run: many((e) => {
            firstStore.entries.clear();
            return first(e, ctx);
          }),
        },
        { name: AGAIN, run: many((e) => again(e, ctx)) },
      ],
      ROUNDS,
    );
    const perInvocation = (name: string) => samples.get(name)!.map((ms) => ms / perSample);
    const plainMs = perInvocation(PLAIN);
    const scenario = `${fmt(records)} record(s), consumer only`;
    report.add({
      section: SECTION,
      scenario,
      contender: PLAIN,
      unit: 'ms / invocation',
      value: summarize(plainMs),
    });
    const bars = [{ series: PLAIN, ...summarize(plainMs) }];
    const line = [`plain ${fmt(summarize(plainMs).median)} ms`];
    for (const name of [FIRST, AGAIN]) {
      const ms = perInvocation(name);
      const extra = summarize(ms.map((m, i) => m - plainMs[i]!));
      report.add({
        section: SECTION,
        scenario,
        contender: name,
        unit: 'ms / invocation',
        value: summarize(ms),
        ratio: `${extra.median >= 0 ? '+' : ''}${fmt(extra.median)} ms per invocation, ${fmt((extra.median * 1000) / records)} µs per record (paired median; min ${fmt(extra.min)}, max ${fmt(extra.max)})`,
      });
      bars.push({ series: name, ...summarize(ms) });
      line.push(
        `${name} ${fmt(summarize(ms).median)} ms (${extra.median >= 0 ? '+' : ''}${fmt(extra.median)})`,
      );
    }
    console.error(
      `[bench] idempotency ${records}: ${line.join(', ')}; ${ROUNDS.iterations} rounds × ${perSample}`,
    );
    groups.push({ label: `${fmt(records)} record(s)`, bars });
  }
  report.charts.push({ title: 'Idempotent records: cost per invocation', unit: 'ms / invocation', groups });
}
