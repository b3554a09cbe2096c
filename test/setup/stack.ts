// Integration tests talk to real servers on loopback: bring the local stack up (reusing a running
// one) before any test file runs, and hand its endpoints to the test processes through the environment.
// @ts-expect-error plain ESM script without types
import { ensureStack, stackEnv } from '../../scripts/stack/env.mjs';

export default async function setup(): Promise<void> {
  await ensureStack();
  const env = stackEnv() as Record<string, string>;
  for (const [key, value] of Object.entries(env)) process.env[key] ??= value;
}
