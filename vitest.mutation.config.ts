// The test run of the mutation run (stryker.config.mjs): the 'unit' project of vitest.config.ts and
// nothing else (never 'integration': it needs the local stack), narrowed to the packages' own tests.
// test/consumer and test/addon test the built packages (dist), which no mutant reaches.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

type Project = { test?: { name?: string; include?: string[] } };
const unit = (base.test?.projects as Project[] | undefined)?.find((project) => project.test?.name === 'unit');
if (!unit?.test) throw new Error("vitest.config.ts has no 'unit' project");

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    reporters: ['default'],
    projects: [{ ...unit, test: { ...unit.test, include: ['packages/*/test/**/*.test.ts'] } }],
  },
});
