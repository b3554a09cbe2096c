// Bundles the handler for Lambda into dist/lambda: one ESM file with every pure-JS dependency inlined,
// and the native Kafka client shipped beside it (a bundler cannot inline a .node addon).
//
// The addon must match Lambda's platform: run this on Amazon Linux 2023 (or `sam build --use-container`)
// for the architecture in template.yaml, or install @confluentinc/kafka-javascript there, where its
// prebuilt linux-x64/arm64 binary downloads. See docs/deploying.md.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'lambda');
const target = process.env.LAMBDA_NODE_TARGET ?? 'node20';
const NATIVE = '@confluentinc/kafka-javascript';

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(root, 'src', 'handler.ts')],
  outfile: join(out, 'index.mjs'),
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'node',
  format: 'esm',
  target,
  // The MSK IAM signer is imported only by mskIamConfig, which this function does not use.
  external: [NATIVE, 'aws-msk-iam-sasl-signer-js'],
  // CommonJS dependencies inside an ES module still call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});

// The .proto the serializer registers; the handler finds it through SETTLEMENT_PROTO_FILE.
cpSync(join(root, 'proto', 'trade_settlement.proto'), join(out, 'trade_settlement.proto'));

// The native client and the packages it loads at run time (not its 200 MB of librdkafka sources).
const requireFrom = createRequire(join(root, 'package.json'));
const packageDir = (name, from = requireFrom) => dirname(from.resolve(`${name}/package.json`));
const nativeDir = packageDir(NATIVE);
const shipped = join(out, 'node_modules', NATIVE);
const nativeParts = [
  'package.json',
  'librdkafka.js',
  'lib',
  'LICENSE.txt',
  join('build', 'Release', 'confluent-kafka-javascript.node'),
  // Present when librdkafka was built as a shared library (CKJS_LINKING=dynamic); the addon finds it
  // through its RUNPATH, $ORIGIN/../deps.
  join('build', 'deps', 'librdkafka.so.1'),
  join('build', 'deps', 'librdkafka++.so.1'),
];
for (const part of nativeParts) {
  if (existsSync(join(nativeDir, part)))
    cpSync(join(nativeDir, part), join(shipped, part), { recursive: true });
}
// A source build keeps debug symbols (13 MiB of librdkafka): strip them where binutils is installed.
const sharedLibraries = nativeParts.filter(
  (part) => part.endsWith('.so.1') && existsSync(join(shipped, part)),
);
if (sharedLibraries.length > 0) {
  const stripped = spawnSync('strip', [
    '--strip-unneeded',
    ...sharedLibraries.map((part) => join(shipped, part)),
  ]);
  if (stripped.error === undefined && stripped.status !== 0) console.warn(`strip failed: ${stripped.stderr}`);
}
const nativeRequire = createRequire(join(nativeDir, 'package.json'));
const bindingsDir = packageDir('bindings', nativeRequire);
cpSync(bindingsDir, join(out, 'node_modules', 'bindings'), { recursive: true, dereference: true });
const fileUriDir = packageDir('file-uri-to-path', createRequire(join(bindingsDir, 'package.json')));
cpSync(fileUriDir, join(out, 'node_modules', 'file-uri-to-path'), { recursive: true, dereference: true });
writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');

const bytes = statSync(join(out, 'index.mjs')).size;
const inputs = Object.keys(result.metafile.inputs).length;
console.log(
  `bundled ${inputs} modules into dist/lambda/index.mjs (${(bytes / 1024).toFixed(0)} KiB, ${target}); ${NATIVE} shipped beside it`,
);
