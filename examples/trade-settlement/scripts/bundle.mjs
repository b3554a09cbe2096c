// Bundles the handler for Lambda into dist/lambda: one ESM file with every pure-JS dependency inlined,
// and the native Kafka client shipped beside it (a bundler cannot inline a .node addon).
//
// LAMBDA_NODE_TARGET (node22 | node24; default: the major of the Node running this, else node24) is
// the function's runtime (nodejs22.x | nodejs24.x): esbuild's target, and the Node ABI the shipped
// addon must be built for. Changing the runtime means shipping another build of the addon.
//
// The addon must also match Lambda's platform: run this on Amazon Linux 2023 (or `sam build
// --use-container`) for the architecture in template.yaml, or install @confluentinc/kafka-javascript
// there, where its prebuilt linux-x64/arm64 binary downloads. See docs/deploying.md.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'lambda');
const NATIVE = '@confluentinc/kafka-javascript';
const ADDON = 'confluent-kafka-javascript.node';
// NODE_MODULE_VERSION of each Lambda Node.js runtime: an addon loads only on the ABI it was built for.
const ABI = { node22: '127', node24: '137' };
// By default the runtime of the Node running this (whose addon an install built): node24 otherwise.
const running = `node${process.versions.node.split('.')[0]}`;
const target = process.env.LAMBDA_NODE_TARGET ?? (ABI[running] ? running : 'node24');
if (!ABI[target]) {
  console.error(
    `LAMBDA_NODE_TARGET=${target}: expected one of ${Object.keys(ABI).join(', ')} (Lambda's Node.js runtimes)`,
  );
  process.exit(2);
}

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
for (const part of ['package.json', 'librdkafka.js', 'lib', 'LICENSE.txt']) {
  if (existsSync(join(nativeDir, part)))
    cpSync(join(nativeDir, part), join(shipped, part), {
      recursive: true,
      dereference: true,
      filter: (path) => !path.startsWith(join(nativeDir, 'lib', 'binding')),
    });
}
// Lambda loads build/Release/; librdkafka, when built as a shared library (CKJS_LINKING=dynamic),
// goes to build/deps/, where the addon's RUNPATH ($ORIGIN/../deps) finds it.
const addon = addonFor(ABI[target]);
cpSync(addon, join(shipped, 'build', 'Release', ADDON));
const sharedLibraries = [];
for (const library of ['librdkafka.so.1', 'librdkafka++.so.1']) {
  const file = join(dirname(addon), '..', 'deps', library);
  if (existsSync(file)) {
    cpSync(file, join(shipped, 'build', 'deps', library));
    sharedLibraries.push(join(shipped, 'build', 'deps', library));
  }
}
// A source build keeps debug symbols (13 MiB of librdkafka): strip them where binutils is installed.
if (sharedLibraries.length > 0) {
  const stripped = spawnSync('strip', ['--strip-unneeded', ...sharedLibraries]);
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
  `bundled ${inputs} modules into dist/lambda/index.mjs (${(bytes / 1024).toFixed(0)} KiB, ${target}); ${NATIVE} shipped beside it (NODE_MODULE_VERSION ${ABI[target]})`,
);

/**
 * The installed addon built for `abi` (real path): node-pre-gyp's per-ABI folder lib/binding/ (where
 * the workspace's scripts/addon/build.mjs links one build per Node), or build/Release when this Node
 * is of that ABI (an install builds or downloads it for the Node that ran it).
 */
function addonFor(abi) {
  const perAbi = join(nativeDir, 'lib', 'binding', `node-v${abi}-${process.platform}-${process.arch}`, ADDON);
  if (existsSync(perAbi)) return realpathSync(perAbi);
  const installed = join(nativeDir, 'build', 'Release', ADDON);
  if (existsSync(installed) && process.versions.modules === abi) return realpathSync(installed);
  console.error(
    `no ${NATIVE} addon for ${target} (NODE_MODULE_VERSION ${abi}) in ${nativeDir}: ` +
      `build it with that Node (in this repository: \`node scripts/addon/build.mjs --node /path/to/${target.replace('node', 'node-')}/bin/node\`), ` +
      `or run this script with a Node of that major version after installing`,
  );
  process.exit(1);
}
