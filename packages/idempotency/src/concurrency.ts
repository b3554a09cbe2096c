/**
 * Runs `fn` over `items` with at most `limit` calls in flight, and resolves their results in the
 * items' order. The first rejection rejects the whole (calls already started still run to their end,
 * none is started after it).
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
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
