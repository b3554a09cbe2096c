import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  splitting: false,
  // The native client is an optional peer, imported lazily by the runner only.
  external: ['@confluentinc/kafka-javascript'],
});
