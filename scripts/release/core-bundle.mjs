// Bundles a program from core's sources as a Lambda bundle would (esbuild, ESM for Node, the native
// client and the AWS SDK left external): what reach.mjs sizes and record-path.mjs runs. Works on a
// checkout from before the producer had its own entry (the root exported it then).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { build } = require('esbuild');

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const coreSrc = join(root, 'packages/core/src');

/** `contents` bundled against core's sources; `options` are esbuild's (minify, metafile, banner…). */
export function bundleFromCore(contents, options = {}) {
  return build({
    stdin: { contents, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
    external: ['@confluentinc/kafka-javascript', '@aws-sdk/*'],
    alias: {
      '@kafka-lambda/core/producer': existsSync(join(coreSrc, 'entry/producer.ts'))
        ? join(coreSrc, 'entry/producer.ts')
        : join(coreSrc, 'index.ts'),
      '@kafka-lambda/core': join(coreSrc, 'index.ts'),
    },
    ...options,
  });
}
