import { defineConfig } from 'tsup';

export default defineConfig({
  // The producer in an entry of its own: a function that never produces never loads it.
  entry: { index: 'src/index.ts', producer: 'src/entry/producer.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  // Shared chunks: an error class is the same class whichever entry it was imported from.
  splitting: true,
});
