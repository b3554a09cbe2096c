import { defineConfig } from 'tsup';

export default defineConfig({
  // Each store in an entry of its own: `/dynamodb` alone imports `@aws-sdk/client-dynamodb`, `/redis`
  // alone `@redis/client` (both optional peers); the root imports neither.
  entry: {
    index: 'src/index.ts',
    dynamodb: 'src/entry/dynamodb.ts',
    redis: 'src/entry/redis.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22', // the oldest supported runtime (engines)
  // Shared chunks: an error class is the same class whichever entry it was imported from.
  splitting: true,
  external: ['@kafka-lambda/core', '@aws-sdk/client-dynamodb', '@redis/client'],
});
