/**
 * Runs `fn` over `items` with at most `limit` calls in flight, and resolves their results in the
 * items' order. After a rejection no further call starts; the calls already running are waited for,
 * then the first rejection is thrown (so a caller can undo what those calls did).
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** `items` in consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The distinct keys, in first-seen order, and for each input position the index of its distinct key. */
export function distinct(keys: readonly string[]): { unique: string[]; indexOf: number[] } {
  const seen = new Map<string, number>();
  const unique: string[] = [];
  const indexOf = keys.map((key) => {
    let at = seen.get(key);
    if (at === undefined) {
      at = unique.length;
      seen.set(key, at);
      unique.push(key);
    }
    return at;
  });
  return { unique, indexOf };
}
