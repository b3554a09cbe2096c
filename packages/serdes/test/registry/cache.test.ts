import { afterEach, describe, expect, it, vi } from 'vitest';
import { PromiseCache } from '../../src/registry/cache.js';

afterEach(() => vi.useRealTimers());

describe('PromiseCache', () => {
  it('shares one load among concurrent callers and answers peek only once resolved', async () => {
    const cache = new PromiseCache<number, string>();
    let loads = 0;
    let release!: (value: string) => void;
    const load = () => {
      loads++;
      return new Promise<string>((resolve) => {
        release = resolve;
      });
    };
    const first = cache.get(1, load);
    const second = cache.get(1, load);
    expect(second).toBe(first);
    expect(cache.peek(1)).toBeUndefined();
    // What the deserializers rely on: a continuation of get() already sees the value.
    const seenInContinuation = first.then(() => cache.peek(1));
    release('schema');
    await expect(seenInContinuation).resolves.toBe('schema');
    expect(cache.peek(1)).toBe('schema');
    expect(loads).toBe(1);
  });

  it('forgets a rejected load, so the next caller retries', async () => {
    const cache = new PromiseCache<number, string>();
    await expect(cache.get(1, () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(cache.peek(1)).toBeUndefined();
    await expect(cache.get(1, async () => 'back')).resolves.toBe('back');
    expect(cache.peek(1)).toBe('back');
  });

  it('expires resolved entries after the TTL, counted from resolution', async () => {
    vi.useFakeTimers();
    const cache = new PromiseCache<string, number>(1000);
    let n = 0;
    await cache.get('latest', async () => ++n);
    vi.advanceTimersByTime(999);
    expect(cache.peek('latest')).toBe(1);
    vi.advanceTimersByTime(1);
    expect(cache.peek('latest')).toBeUndefined();
    await expect(cache.get('latest', async () => ++n)).resolves.toBe(2);
  });

  it('set() stores a value learnt another way', () => {
    const cache = new PromiseCache<string, number>();
    cache.set('a', 7);
    expect(cache.peek('a')).toBe(7);
  });
});
