// Runs in a fresh process (bundled to plain JS first, so no loader skews RSS): handles one large ESM batch
// and prints RSS figures in bytes as JSON. argv: <mode> <event file>.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createKafkaHandler, json, jsonLogger } from '@kafka-lambda/core';

const [mode, file] = process.argv.slice(2) as ['ours' | 'powertools' | 'bare', string];
const gc = (globalThis as { gc?: () => void }).gc!;
let sink = 0;
const keep = (value: unknown) => {
  if (value !== undefined) sink++;
};

const { kafkaConsumer } = createRequire(import.meta.url)('@aws-lambda-powertools/kafka');
// The realistic handler of every contender: key, value, every header as text.
const ours = createKafkaHandler({
  value: json<{ id: string }>(),
  logger: jsonLogger({ write() {} }),
  process(record) {
    keep(record.key);
    keep(record.value.id);
    for (const [name, value] of record.headers) keep(name + value.toString('utf8'));
  },
});
const powertools = kafkaConsumer(
  async (event: {
    records: Array<{ key: unknown; value: { id: string }; headers: Array<Record<string, string>> | null }>;
  }) => {
    for (const record of event.records) {
      keep(record.key);
      keep(record.value.id);
      for (const header of record.headers ?? []) for (const name in header) keep(name + header[name]);
    }
  },
  { value: { type: 'json' } },
);
type RawRecord = { key: string; value: string; headers: Array<Record<string, number[]>> };
const bare = async (event: { records: Record<string, RawRecord[]> }) => {
  for (const records of Object.values(event.records))
    for (const record of records) {
      keep(Buffer.from(record.key, 'base64').toString('utf8'));
      keep(JSON.parse(Buffer.from(record.value, 'base64').toString('utf8')).id);
      for (const header of record.headers)
        for (const name in header) keep(name + Buffer.from(header[name]!).toString('utf8'));
    }
};
const handler = { ours, powertools, bare }[mode] as (event: unknown, ctx: unknown) => Promise<unknown>;
const ctx = { getRemainingTimeInMillis: () => 900_000 };

// Warm the code paths on a tiny batch so JIT code is part of the baseline, not of the increase.
const tiny = JSON.stringify({
  eventSource: 'aws:kafka',
  records: {
    't-0': [
      {
        topic: 't',
        partition: 0,
        offset: 0,
        timestamp: 0,
        timestampType: 'CREATE_TIME',
        key: 'aw==',
        value: 'e30=',
        headers: [],
      },
    ],
  },
});
for (let i = 0; i < 200; i++) await handler(JSON.parse(tiny), ctx);
gc();
gc();
const maxRss = () => process.resourceUsage().maxRSS * 1024;
/** Linux lets a process reset its peak RSS (VmHWM): the handler's own peak, not the event parse's, is then read. */
const resetPeak = (): boolean => {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
};
const peak = (): number => {
  const status = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return status ? Number(status[1]) * 1024 : maxRss();
};
const baseline = process.memoryUsage.rss();

// What the Lambda runtime does with the invocation body, then the handler.
const event = JSON.parse(readFileSync(file).toString('utf8'));
const parsePeak = peak();
// "Before handling": the event is in memory, the runtime's temporaries (body text) are collectable.
gc();
const beforeHandler = process.memoryUsage.rss();
const reset = resetPeak();
await handler(event, ctx);
const handlerPeak = peak();
console.log(JSON.stringify({ baseline, parsePeak, beforeHandler, handlerPeak, reset, sink }));
