import { defineConfig } from 'tsup';

export default defineConfig({
  // The in-memory registry and idempotency store are subpath entries: only they import
  // @kafka-lambda/serdes and @kafka-lambda/idempotency (optional peers).
  entry: {
    index: 'src/index.ts',
    registry: 'src/entry/registry.ts',
    idempotency: 'src/entry/idempotency.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  // Shared chunks: InvalidTestInputError is one class whichever entry threw it.
  splitting: true,
  external: ['@kafka-lambda/serdes', '@kafka-lambda/idempotency'],
});
