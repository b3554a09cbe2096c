// Mutation testing of the record-outcome engine (issue 23): the outcome owner, the policies and the
// delivery accounting. `pnpm test:mutation`; the HTML and JSON reports go to reports/mutation/.
// Runs the 'unit' vitest project only (vitest.mutation.config.ts), never the integration tests.

// The model test (packages/core/test/outcomes.model.test.ts) takes 10,000 scenarios in `pnpm test`;
// here each surviving mutant runs it again, so fewer, from a fixed seed: the run is reproducible.
process.env.MODEL_RUNS ??= '400';
process.env.MODEL_SEED ??= '23';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'pnpm',
  testRunner: 'vitest',
  // pnpm keeps the runner out of core's reach: name the plugin, not a glob.
  plugins: ['@stryker-mutator/vitest-runner'],
  // Forks, not threads: the native Kafka client some tests load does not survive a worker thread's end.
  vitest: { configFile: 'vitest.mutation.config.ts', related: true, pool: 'forks' },
  coverageAnalysis: 'perTest',
  mutate: [
    'packages/core/src/outcomes/outcomes.ts',
    'packages/core/src/batch/batch.ts',
    'packages/core/src/outcomes/batch-verdict.ts',
    'packages/core/src/delivery/delivery-ledger.ts',
    'packages/core/src/delivery/delivery-phase.ts',
    'packages/core/src/delivery/oversized-retry.ts',
    'packages/core/src/record/record-pipeline.ts',
    'packages/core/src/delivery/pending-message.ts',
    // Split off batch.ts (the dead letters queued until the failures are known to be the records').
    'packages/core/src/delivery/dead-letter-queue.ts',
    // The seam (issue 25): what middleware decide before the records run, and the chain around them.
    'packages/core/src/middleware/batch-gate.ts',
    'packages/core/src/middleware/middleware-chain.ts',
    'packages/core/src/policies/*.ts',
  ],
  // Two cores, shared: one or two test processes at most.
  concurrency: 2,
  timeoutMS: 10_000,
  timeoutFactor: 2,
  // Type errors a mutant makes are not behaviour: the typecheck is `pnpm typecheck`'s job.
  disableTypeChecks: 'packages/core/src/**/*.ts',
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  thresholds: { high: 90, low: 85, break: 85 },
};
