import { defineConfig } from 'tsup';

export default defineConfig({
  // The root and `/metrics` never import `@opentelemetry/api` (an optional peer): only `/tracing` does.
  entry: {
    index: 'src/index.ts',
    metrics: 'src/entry/metrics.ts',
    tracing: 'src/entry/tracing.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  // Shared chunks: an error class is the same class whichever entry it was imported from.
  splitting: true,
  external: ['@kafka-lambda/core', '@opentelemetry/api'],
});
