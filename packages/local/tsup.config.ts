import { defineConfig } from 'tsup';

export default defineConfig({
  // The library (runEventSource, replayFailureFiles, loadTemplateEsm, redriveDeadLetters) and the two
  // commands, each started through its bin/ file.
  entry: {
    index: 'src/index.ts',
    'kafka-lambda-local-cli': 'src/kafka-lambda-local-cli.ts',
    'kafka-lambda-cli': 'src/kafka-lambda-cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  // Shared chunks: one copy of the runner's error classes whichever entry threw them.
  splitting: true,
  // Optional peers, imported lazily: the native client by the runner and the commands, serdes by the
  // schema registry integration.
  external: ['@confluentinc/kafka-javascript', '@kafka-lambda/serdes'],
});
