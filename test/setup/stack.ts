// Integration tests talk to real servers on loopback: bring the local stack up (reusing a running
// one) before any test file runs. ensureStack() copies the endpoints into process.env, which the
// test processes, forked afterwards, inherit.
// @ts-expect-error plain ESM script without types
import { ensureStack } from '../../scripts/stack/control.mjs';

export default async function setup(): Promise<void> {
  await ensureStack({ quiet: false });
}
