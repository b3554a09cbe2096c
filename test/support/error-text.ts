// What an error shows to whoever prints or serializes it, for tests that no secret leaks through one.
import { inspect } from 'node:util';

/**
 * Every string reachable from `error`: `util.inspect` at any depth with hidden properties, its JSON,
 * and the own properties (enumerable or not) of it and of its causes, any depth.
 */
export function everythingIn(error: unknown): string {
  const out: string[] = [inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true })];
  try {
    out.push(JSON.stringify(error));
  } catch {}
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number) => {
    if (depth > 20) return;
    if (typeof value === 'string') return void out.push(value);
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
    if (seen.has(value)) return;
    seen.add(value);
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (descriptor && 'value' in descriptor) walk(descriptor.value, depth + 1);
    }
  };
  walk(error, 0);
  return out.join('\n');
}

/** What `run` rejects with; throws when it resolves. */
export async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
