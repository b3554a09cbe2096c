// Regenerates malformed-events.json: events that each break one rule of the ESM shape. Deterministic;
// run `node packages/core/test/corpus/generate.mjs` after changing the rules below.
import { writeFileSync } from 'node:fs';

const good = (overrides = {}) => ({
  topic: 'orders',
  partition: 0,
  offset: 1,
  timestamp: 1,
  timestampType: 'CREATE_TIME',
  key: 'a2V5',
  value: 'dmFsdWU=',
  headers: [],
  ...overrides,
});
const wrap = (records, extra = {}) => ({ eventSource: 'aws:kafka', records, ...extra });

const junk = [null, true, false, 0, -1, 1.5, 'x', '', [], {}, [1], { a: 1 }, Number.MAX_SAFE_INTEGER + 2];
const corpus = [];
const add = (name, event) => corpus.push({ name, event });

for (const value of junk) add(`event ${JSON.stringify(value)}`, value);
for (const value of junk) add(`eventSource ${JSON.stringify(value)}`, { eventSource: value, records: {} });
for (const value of ['aws:sqs', 'aws:kinesis', 'AWS:KAFKA', 'selfmanagedkafka', ' aws:kafka'])
  add(`eventSource ${value}`, { eventSource: value, records: {} });
for (const value of junk.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)))
  add(`records ${JSON.stringify(value)}`, wrap(value));
for (const key of [
  'orders',
  'orders-',
  '-0',
  'orders-x',
  'orders-1.5',
  'orders--1',
  'orders-0x1',
  'orders-1e3',
  'orders- 1',
]) {
  add(`group key ${key}`, wrap({ [key]: [good()] }));
}
for (const value of junk.filter((v) => !Array.isArray(v)))
  add(`group ${JSON.stringify(value)}`, wrap({ 'orders-0': value }));
for (const value of junk) add(`record ${JSON.stringify(value)}`, wrap({ 'orders-0': [value] }));
const fields = {
  topic: [null, 1, 'other', '', {}],
  partition: [null, '0', 1, -1, 0.5, {}],
  offset: [null, '1', -1, 1.5, {}, [], Number.NaN],
  timestamp: [null, '1', {}, []],
  key: [1, {}, [], true],
  value: [1, {}, [], true, undefined],
  headers: [1, 'h', {}, true, [1], ['h'], [null], [{ h: 'x' }], [{ h: 1 }], [{ h: {} }]],
};
for (const [field, values] of Object.entries(fields)) {
  for (const value of values) {
    add(`${field} ${JSON.stringify(value)}`, wrap({ 'orders-0': [good({ [field]: value })] }));
    add(
      `${field} ${JSON.stringify(value)} after a good record`,
      wrap({ 'orders-0': [good(), good({ offset: 2, [field]: value })] }),
    );
    add(
      `${field} ${JSON.stringify(value)} in a second partition`,
      wrap({ 'orders-1': [good({ partition: 1 })], 'orders-0': [good({ [field]: value })] }),
    );
  }
}
for (const field of Object.keys(fields).filter((f) => f !== 'key' && f !== 'headers')) {
  const record = good();
  delete record[field];
  add(`missing ${field}`, wrap({ 'orders-0': [record] }));
  add(`missing ${field}, self-managed`, wrap({ 'orders-0': [record] }, { eventSource: 'SelfManagedKafka' }));
}
writeFileSync(new URL('./malformed-events.json', import.meta.url), `${JSON.stringify(corpus, null, 1)}\n`);
console.log(`${corpus.length} malformed events`);
