/** `BENCH_QUICK=1` is a smoke run: same code paths, a handful of iterations. */
export const QUICK = process.env.BENCH_QUICK === '1';

/** Warm-up runs let V8 optimize and caches (schemas, producer connection) fill; they are discarded. */
// Medians of 25 paired rounds (12 moved by ±15–20% between runs on the shared 2-core machine).
export const DECODE = { warmup: QUICK ? 1 : 3, iterations: QUICK ? 3 : 25, batch: 10_000 };
/** Issue 14's realistic handler: each sample handles this many records, in batches of these sizes. */
export const REALISTIC = {
  records: 10_000,
  // BENCH_BATCHES=10000 runs only the 10,000-record batches (while iterating).
  batches: process.env.BENCH_BATCHES?.split(',').map(Number) ?? [1, 100, 10_000],
};
// 21 rounds: about one invocation in three of ours meets a scavenge (12–50 ms while librdkafka runs).
export const PRODUCE = {
  warmup: QUICK ? 1 : 2,
  iterations: QUICK ? 2 : 21,
  messages: QUICK ? 2_000 : 10_000,
};
/** The flush-per-record anti-pattern is ~1 round trip per message: timed on fewer messages, scaled. */
export const PRODUCE_SLOW_MESSAGES = QUICK ? 100 : 500;
export const COLD = { spawns: QUICK ? 3 : 15 };
export const MEMORY = { repeats: QUICK ? 1 : 3, payloadBytes: 6 * 1024 * 1024 };
export const SCALING = {
  warmup: QUICK ? 1 : 3,
  iterations: QUICK ? 3 : 11,
  sizes: [1, 10, 100, 1_000, 10_000],
  /** Records per timed sample, so a 1-record batch is timed over many invocations. */
  recordsPerSample: 10_000,
  partitions: 16,
  recordsPerPartition: QUICK ? 10 : 50,
  concurrency: [1, 4, 16],
  ioMs: 1,
};

/** Issue 26: `ordering: 'key'` against `'partition'`, paired in one run (ratios, not timings). */
export const ORDERING = {
  /** The I/O-bound rows: one partition of this many records, each awaiting `ioMs`; one 'partition' sample takes records × ioMs. */
  ioRecords: 1_000,
  ioMs: 20,
  ioRounds: { warmup: 0, iterations: QUICK ? 1 : 3 },
  /** The CPU-bound rows: batches of this many records, no I/O. */
  cpuRecords: 10_000,
  cpuRounds: { warmup: QUICK ? 1 : 3, iterations: QUICK ? 3 : 15 },
};

export const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
