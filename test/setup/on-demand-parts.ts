// Vitest setup file of the integration project: runs in the test process before each test file is
// imported, and starts the stack parts that file uses beyond globalSetup's (stack.ts), on first use:
// a file that names a part's endpoint variable uses that part. Starting is cached by the stack itself
// (a running part is reused in well under a second), so later files pay nothing. Jaeger's first
// build takes minutes: it announces itself and reports progress, and only a run with a tracing file
// pays for it.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
// @ts-expect-error plain ESM script without types
import { ensureStack } from '../../scripts/stack/control.mjs';
import { partsUsedBy } from './parts-used-by.js';

const file = expect.getState().testPath;
const parts = file ? partsUsedBy(readFileSync(file, 'utf8')) : [];
if (parts.length > 0) await ensureStack({ quiet: false, parts });
