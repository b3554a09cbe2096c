import { defineConfig } from 'tsup';

export default defineConfig({
  // The producer in an entry of its own (a function that never produces never loads it); the rest of
  // the API behind subpaths by who needs it, so the root stays what a handler needs.
  entry: {
    index: 'src/index.ts',
    producer: 'src/entry/producer.ts',
    middleware: 'src/entry/middleware.ts',
    config: 'src/entry/config.ts',
    events: 'src/entry/events.ts',
    errors: 'src/entry/errors.ts',
    serde: 'src/entry/serde.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  // Shared chunks: an error class is the same class whichever entry it was imported from.
  splitting: true,
});
