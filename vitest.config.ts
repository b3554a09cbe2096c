import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

const entry = (pkg: string, name: string) =>
  fileURLToPath(new URL(`./packages/${pkg}/src/entry/${name}.ts`, import.meta.url));

// Tests import the packages' sources, so a change is tested without a rebuild. Subpaths come before
// their package: an alias also matches what starts with it.
const alias = {
  '@kafka-lambda/core/producer': entry('core', 'producer'),
  '@kafka-lambda/core/middleware': entry('core', 'middleware'),
  '@kafka-lambda/core/config': entry('core', 'config'),
  '@kafka-lambda/core/events': entry('core', 'events'),
  '@kafka-lambda/core/errors': entry('core', 'errors'),
  '@kafka-lambda/core/serde': entry('core', 'serde'),
  '@kafka-lambda/core': src('core'),
  '@kafka-lambda/serdes/registry': entry('serdes', 'registry'),
  '@kafka-lambda/serdes/avro': entry('serdes', 'avro'),
  '@kafka-lambda/serdes/protobuf': entry('serdes', 'protobuf'),
  '@kafka-lambda/serdes/json-schema': entry('serdes', 'json-schema'),
  '@kafka-lambda/serdes': src('serdes'),
  '@kafka-lambda/testing/registry': entry('testing', 'registry'),
  '@kafka-lambda/testing/idempotency': entry('testing', 'idempotency'),
  '@kafka-lambda/testing': src('testing'),
  '@kafka-lambda/local': src('local'),
  '@kafka-lambda/observability/metrics': entry('observability', 'metrics'),
  '@kafka-lambda/observability/tracing': entry('observability', 'tracing'),
  '@kafka-lambda/observability': src('observability'),
  '@kafka-lambda/idempotency/dynamodb': entry('idempotency', 'dynamodb'),
  '@kafka-lambda/idempotency/redis': entry('idempotency', 'redis'),
  '@kafka-lambda/idempotency': src('idempotency'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    // In CI a JSON report too, from which .ci/run prints the plain "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'node_modules/.cache/vitest-results.json' }]]
      : ['default'],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: [
            'packages/*/test/**/*.int.test.ts',
            'examples/*/test/**/*.int.test.ts',
            'test/**/*.int.test.ts',
          ],
          // Kafka, registry, moto and the RIE for every run; Redis and Jaeger for the files that use them.
          globalSetup: ['./test/setup/stack.ts'],
          setupFiles: ['./test/setup/on-demand-parts.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One broker on two cores: files run one at a time so their timings stay sane.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
