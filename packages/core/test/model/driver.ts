// Virtual time for a scenario: every timer (setTimeout, setImmediate, setInterval) and Date are vitest
// fake timers, so a 14-minute deadline costs nothing and a run is deterministic. The driver lets the
// microtasks run (one real turn of the event loop), then fires the next fake timer, until the
// handler settles; a handler with nothing left to wait for that has not settled never will.
import { vi } from 'vitest';

// Captured before any fake timers are installed: a real turn of the event loop drains every microtask.
const realSetImmediate = globalThis.setImmediate;

export function realTurn(): Promise<void> {
  return new Promise<void>((resolve) => realSetImmediate(resolve));
}

export const SCENARIO_EPOCH_MS = 1_800_000_000_000;

export function installVirtualTime(): void {
  vi.useFakeTimers({
    toFake: [
      'setTimeout',
      'clearTimeout',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'Date',
    ],
    now: SCENARIO_EPOCH_MS,
  });
  // Node runs a timeout no sooner than the next whole millisecond after its delay, and at least 1 ms
  // later (setTimeout(f, 0) is setTimeout(f, 1)); the fake clock truncates 100.5 to 100 and runs 0 at
  // once. Timers must fire when Node's would: a deadline check that reads the clock must agree.
  const fake = globalThis.setTimeout;
  const nodeLike = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    fake(callback, Math.max(1, Math.ceil(Number(ms) || 0)), ...args)) as unknown as typeof setTimeout;
  Object.assign(nodeLike, { clock: (fake as unknown as { clock: unknown }).clock });
  globalThis.setTimeout = nodeLike;
}

export function uninstallVirtualTime(): void {
  vi.clearAllTimers();
  vi.useRealTimers();
}

export type Settled<T> =
  | { readonly kind: 'resolved'; readonly value: T; readonly at: number }
  | { readonly kind: 'rejected'; readonly error: unknown; readonly at: number }
  /** Nothing left to wait for (no timer), or virtual time ran far past the limit: it never settles. */
  | { readonly kind: 'hung'; readonly at: number };

/** Errors a fake timer's callback threw (an uncaught exception in the real world). */
export const uncaught: unknown[] = [];

/** The fake clock (@sinonjs/fake-timers, which vitest installs: each faked function carries it). */
interface FakeClock {
  next(): number;
  countTimers(): number;
}

function clock(): FakeClock {
  return (globalThis.setTimeout as unknown as { clock: FakeClock }).clock;
}

/**
 * Fires exactly ONE timer, the next due: vi.advanceTimersToNextTimer() also fires every other timer due
 * at that instant without letting microtasks run between them, which no real event loop does.
 */
function fireNextTimer(): void {
  try {
    clock().next();
  } catch (error) {
    uncaught.push(error);
  }
}

function timerCount(): number {
  return clock().countTimers();
}

/** Drives virtual time until `promise` settles, or until it cannot (hung) or `limitAt` (epoch ms) passed. */
export async function driveUntilSettled<T>(promise: Promise<T>, limitAt: number): Promise<Settled<T>> {
  let settled: Settled<T> | undefined;
  promise.then(
    (value) => {
      settled = { kind: 'resolved', value, at: Date.now() };
    },
    (error: unknown) => {
      settled = { kind: 'rejected', error, at: Date.now() };
    },
  );
  for (let step = 0; step < 200_000; step++) {
    await realTurn();
    if (settled) return settled;
    if (timerCount() === 0 || Date.now() > limitAt) {
      // One more turn: a settlement may be a few microtask hops away.
      await realTurn();
      return settled ?? { kind: 'hung', at: Date.now() };
    }
    fireNextTimer();
  }
  return settled ?? { kind: 'hung', at: Date.now() };
}

/** After an invocation: lets what is left (floating promises, late reports) run while time is before `untilAt`. */
export async function drainUntil(untilAt: number): Promise<void> {
  for (let step = 0; step < 10_000; step++) {
    await realTurn();
    if (timerCount() === 0 || Date.now() >= untilAt) break;
    fireNextTimer();
  }
  await realTurn();
}

/** A promise's settlement, read as it happens. */
export interface Tracked<T> {
  settled: Settled<T> | undefined;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { settled: undefined };
  promise.then(
    (value) => {
      tracked.settled = { kind: 'resolved', value, at: Date.now() };
    },
    (error: unknown) => {
      tracked.settled = { kind: 'rejected', error, at: Date.now() };
    },
  );
  return tracked;
}

/** Drives virtual time while `go()` holds, until nothing is left to wait for or `limitAt` passed. */
export async function driveWhile(go: () => boolean, limitAt: number): Promise<void> {
  for (let step = 0; step < 200_000; step++) {
    await realTurn();
    if (!go()) return;
    if (timerCount() === 0 || Date.now() > limitAt) {
      await realTurn();
      return;
    }
    fireNextTimer();
  }
}
