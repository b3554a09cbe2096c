/** min / median / max of the kept samples; warm-up samples never reach here. */
export interface Summary {
  min: number;
  median: number;
  max: number;
  n: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** Maps every statistic, e.g. ms per batch to records per second (which swaps min and max). */
export function mapSummary(summary: Summary, fn: (value: number) => number): Summary {
  const a = fn(summary.min);
  const b = fn(summary.max);
  return { min: Math.min(a, b), median: fn(summary.median), max: Math.max(a, b), n: summary.n };
}

export interface Contender {
  readonly name: string;
  run(): unknown;
}

export interface RoundOptions {
  warmup: number;
  iterations: number;
  /**
   * A full GC before every sample, whatever BENCH_GC says: the scenario is a handler right after a
   * major GC (needs --expose-gc, which `pnpm bench` passes).
   */
  gc?: boolean;
}

/**
 * A forced full GC before each sample is opt-in (BENCH_GC=1). Lambda never forces one between
 * invocations, and a forced one is not neutral: it frees the hidden classes (maps) of a handler's
 * per-invocation objects once all their instances are dead, which throws away every optimized function
 * that depended on them ("weak objects" deopts, 271 in 15 rounds of the realistic JSON handler), so
 * the next sample runs re-optimizing (72 vs 43 ms for ours; the bare loop, on built-in maps only,
 * unchanged). Round-robin order already spreads one contender's garbage over all of them.
 */
const forcedGc = (globalThis as { gc?: () => void }).gc;
const collect = process.env.BENCH_GC === '1' ? forcedGc : undefined;

/**
 * Times each contender once per round, rotating who goes first, so drift (thermal, other tenants on the
 * 2 cores) hits every contender alike and the ratios of one run stay comparable. With BENCH_GC=1 (or
 * `gc` in the options) a forced GC runs before each sample (needs --expose-gc); see `collect`.
 */
export async function timeRounds(
  contenders: readonly Contender[],
  { warmup, iterations, gc }: RoundOptions,
): Promise<Map<string, number[]>> {
  if (gc && !forcedGc) throw new Error('a round with a GC before each sample needs node --expose-gc');
  const beforeSample = gc ? forcedGc : collect;
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < warmup + iterations; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(round + k) % contenders.length]!;
      beforeSample?.();
      const started = performance.now();
      const result = contender.run();
      if (result instanceof Promise) await result;
      const elapsed = performance.now() - started;
      if (round >= warmup) samples.get(contender.name)!.push(elapsed);
    }
  }
  return samples;
}

/** One timed call, in ms. */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const started = performance.now();
  const result = fn();
  if (result instanceof Promise) await result;
  return performance.now() - started;
}

/** Median over rounds of a[i] / b[i]: each ratio compares two runs made under the same machine load. */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return summarize(a.map((value, i) => value / b[i]!)).median;
}
