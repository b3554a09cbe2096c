import { defineConfig } from 'tsup';

export default defineConfig({
  // One entry per format, so that a function loads only the library of its format (avsc or
  // protobufjs); the root entry has everything.
  entry: {
    index: 'src/index.ts',
    registry: 'src/entry/registry.ts',
    avro: 'src/entry/avro.ts',
    protobuf: 'src/entry/protobuf.ts',
    'json-schema': 'src/entry/json-schema.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  // Shared chunks: an error class is the same class whichever entry it was imported from, so
  // `instanceof` works when a function mixes `@kafka-lambda/serdes` and its subpaths.
  splitting: true,
});
