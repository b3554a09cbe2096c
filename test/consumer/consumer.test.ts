// The packages as users get them: `pnpm pack`ed tarballs installed by npm into fresh projects outside
// the workspace, type-checked by TypeScript against the shipped .d.ts/.d.cts, and run on a fake ESM
// event with @kafka-lambda/testing from its tarball (and @kafka-lambda/local's commands installed beside
// it). ESM with moduleResolution node16, ESM with
// bundler (and an esbuild bundle), CommonJS JavaScript; and a project with the optional peers of the
// subpath entries (the idempotency stores' clients, the OpenTelemetry API) installed from the registry.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsumerProject,
  createConsumerProject,
  ourDeclarations,
  PACKAGES,
  type PackageName,
  packedPackages,
  parseResult,
  readTarball,
} from './support/consumer-project.js';

const SETUP_TIMEOUT = 240_000;
const TEST_TIMEOUT = 120_000;

interface ScenarioResult {
  response: unknown;
  large: Array<{ key: string | null; value: unknown }>;
  deadLetters: Array<{ key: string | null; reason: string | undefined; sourceOffset: string | undefined }>;
  sharedCore: boolean;
}

// The same batch, the same answers, whatever the module system.
const expectScenario = (result: ScenarioResult) => {
  expect(result.response).toBeNull();
  expect(result.large).toEqual([{ key: 'o-1', value: { id: 'o-1', total: 5_000 } }]);
  expect([...result.deadLetters].sort((a, b) => Number(a.sourceOffset) - Number(b.sourceOffset))).toEqual([
    { key: 'o-3', reason: 'process', sourceOffset: '102' },
    { key: 'o-4', reason: 'decode', sourceOffset: '103' },
  ]);
  expect(result.sharedCore).toBe(true);
};

interface IdempotentResult {
  runs: string[][];
  metrics: Array<{
    records: unknown;
    succeeded: unknown;
    alreadyProcessed: unknown;
    invocationFailed: unknown;
  }>;
  claims: number;
  outage: { error: string; cause: boolean; code: string | undefined } | undefined;
}

// An idempotent handler with metrics, delivered the same batch twice: the second delivery runs nothing,
// and the metrics say so; then the store's outage rejects with the idempotency package's error class.
const expectIdempotent = (result: IdempotentResult) => {
  expect(result.runs).toEqual([['a', 'b'], []]);
  expect(result.metrics).toEqual([
    { records: 2, succeeded: 2, alreadyProcessed: 0, invocationFailed: 0 },
    { records: 2, succeeded: 0, alreadyProcessed: 2, invocationFailed: 0 },
    { records: 2, succeeded: 0, alreadyProcessed: 0, invocationFailed: 1 }, // the outage: retried
  ]);
  expect(result.claims).toBe(3);
  expect(result.outage).toEqual({
    error: 'IdempotencyStoreError',
    cause: true,
    code: 'ProvisionedThroughputExceededException',
  });
};

/**
 * The packages a function and its unit tests import (all but @kafka-lambda/local, the local event
 * source and the commands: the ESM projects' produce.ts imports it, the handler scenarios do not).
 */
const HANDLER_PACKAGES = PACKAGES.filter((name) => name !== 'local');

/** Every subpath entry of the packages (not the roots, not `./package.json`). */
const SUBPATHS: Partial<Record<PackageName, readonly string[]>> = {
  core: ['producer', 'middleware', 'config', 'events', 'errors', 'serde'],
  serdes: ['registry', 'avro', 'protobuf', 'json-schema'],
  testing: ['registry', 'idempotency'],
  observability: ['metrics', 'tracing'],
  idempotency: ['dynamodb', 'redis'],
};

/** The subpath entries whose modules import an optional peer, and the peer each needs. */
const PEER_SUBPATHS = {
  '@kafka-lambda/idempotency/dynamodb': '@aws-sdk/client-dynamodb',
  '@kafka-lambda/idempotency/redis': '@redis/client',
  '@kafka-lambda/observability/tracing': '@opentelemetry/api',
} as const;

/** The new packages' subpath entries, as `[specifier, dist file without its extension]`. */
const NEW_SUBPATHS = (['observability', 'idempotency'] as const).flatMap((name) =>
  SUBPATHS[name]!.map((sub): [string, string] => [
    `@kafka-lambda/${name}/${sub}`,
    `node_modules/@kafka-lambda/${name}/dist/${sub}`,
  ]),
);
const NEW_SPECIFIERS = NEW_SUBPATHS.map(([specifier]) => specifier);

const ESM_SOURCES = {
  'src/orders.ts': 'esm/orders.ts',
  'src/main.ts': 'esm/main.ts',
  'src/idempotent.ts': 'esm/idempotent.ts',
  'src/types-check.ts': 'esm/types-check.ts',
  'src/produce.ts': 'esm/produce.ts',
};

describe('the packed packages', () => {
  it(
    'are publishable: versions resolved, every entry point shipped, license, readme and metadata present',
    async () => {
      const { tarballs } = await packedPackages();
      const versions = new Map<string, string>();
      const manifests = new Map<PackageName, Record<string, unknown>>();
      for (const name of PACKAGES) {
        const { manifest, files } = await readTarball(tarballs[name]);
        manifests.set(name, manifest);
        versions.set(manifest.name as string, manifest.version as string);
        expect(manifest.name).toBe(`@kafka-lambda/${name}`);
        expect(JSON.stringify(manifest)).not.toContain('workspace:');
        expect(manifest).toMatchObject({
          license: 'Apache-2.0',
          type: 'module',
          sideEffects: false,
          engines: { node: '>=22' },
          publishConfig: { access: 'public' },
          repository: {
            type: 'git',
            url: 'git+https://github.com/kafka-lambda/kafka-lambda.git',
            directory: `packages/${name}`,
          },
          bugs: { url: 'https://github.com/kafka-lambda/kafka-lambda/issues' },
          homepage: `https://github.com/kafka-lambda/kafka-lambda/tree/main/packages/${name}#readme`,
        });
        expect((manifest.keywords as string[]).length).toBeGreaterThan(3);
        expect(manifest).not.toHaveProperty('private');
        expect(files).toEqual(
          expect.arrayContaining(['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']),
        );
        // Nothing but the build, the documents and local's command files (bin/*.mjs, each importing its
        // build): no sources, tests, configs or API reports.
        expect(
          files.filter(
            (f) =>
              !/^(dist\/|LICENSE$|README\.md$|CHANGELOG\.md$|package\.json$)/.test(f) &&
              !(name === 'local' && /^bin\/kafka-lambda(-local)?\.mjs$/.test(f)),
          ),
        ).toEqual([]);
        expect(files.filter((f) => f.endsWith('.map') === false && f.startsWith('dist/'))).toEqual(
          expect.arrayContaining(['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/index.d.cts']),
        );
        // publint-style: each condition points at a shipped file of the right kind, types first.
        const root = (manifest.exports as Record<string, Record<string, Record<string, string>>>)['.']!;
        expect(Object.keys(root)).toEqual(['import', 'require']);
        expect(Object.keys(root.import!)).toEqual(['types', 'default']);
        expect(Object.keys(root.require!)).toEqual(['types', 'default']);
        expect(root.import).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
        expect(root.require).toEqual({ types: './dist/index.d.cts', default: './dist/index.cjs' });
        // Every subpath likewise, each a shipped entry: a typo in one is a user's ERR_PACKAGE_PATH_NOT_EXPORTED.
        const exported = manifest.exports as Record<string, unknown>;
        const subpaths = SUBPATHS[name] ?? [];
        expect(Object.keys(exported)).toEqual(['.', ...subpaths.map((sub) => `./${sub}`), './package.json']);
        expect(exported['./package.json']).toBe('./package.json');
        for (const sub of subpaths) {
          expect(exported[`./${sub}`]).toEqual({
            import: { types: `./dist/${sub}.d.ts`, default: `./dist/${sub}.js` },
            require: { types: `./dist/${sub}.d.cts`, default: `./dist/${sub}.cjs` },
          });
        }
        for (const entry of ['index', ...subpaths])
          expect(files).toEqual(
            expect.arrayContaining(['js', 'cjs', 'd.ts', 'd.cts'].map((ext) => `dist/${entry}.${ext}`)),
          );
        for (const target of [
          manifest.main,
          manifest.module,
          manifest.types,
          ...Object.values(manifest.bin ?? {}),
        ])
          expect(files).toContain(String(target).replace(/^\.\//, ''));
        expect(readmeInstallLine(tarballs[name])).toBeDefined();
      }
      // Internal dependencies point at the versions being published together.
      const core = versions.get('@kafka-lambda/core');
      expect(manifests.get('serdes')!.peerDependencies).toEqual({ '@kafka-lambda/core': `^${core}` });
      // Peers, so that the user's core is the one testing's helpers use (one copy: instanceof holds).
      expect(manifests.get('testing')!.peerDependencies).toMatchObject({
        '@kafka-lambda/core': `^${core}`,
        '@kafka-lambda/serdes': `^${versions.get('@kafka-lambda/serdes')}`,
      });
      // The user picks the Kafka client's version; consuming-only functions need none.
      expect(manifests.get('core')!.peerDependenciesMeta).toMatchObject({
        '@confluentinc/kafka-javascript': { optional: true },
        '@aws-sdk/client-secrets-manager': { optional: true },
      });
      expect(manifests.get('core')!.dependencies).toBeUndefined();
      // observability and idempotency: core as a required peer (one copy: the user's), each client
      // library an optional peer (only its subpath entry imports it), and no dependencies of their own.
      expect(manifests.get('observability')!.peerDependencies).toEqual({
        '@kafka-lambda/core': `^${core}`,
        '@opentelemetry/api': expect.stringMatching(/^\^1\./),
      });
      expect(manifests.get('observability')!.peerDependenciesMeta).toEqual({
        '@opentelemetry/api': { optional: true },
      });
      expect(manifests.get('idempotency')!.peerDependencies).toEqual({
        '@kafka-lambda/core': `^${core}`,
        '@aws-sdk/client-dynamodb': expect.stringMatching(/^\^3\./),
        '@redis/client': expect.stringMatching(/^\^\d+\./),
      });
      expect(manifests.get('idempotency')!.peerDependenciesMeta).toEqual({
        '@aws-sdk/client-dynamodb': { optional: true },
        '@redis/client': { optional: true },
      });
      for (const name of ['observability', 'idempotency'] as const) {
        expect(manifests.get(name)!.dependencies).toBeUndefined();
        expect(manifests.get(name)!.version).toBe(core); // one fixed release group
      }
      // testing is the fakes only: no command, no bundler or YAML parser, no native client.
      const testing = manifests.get('testing')!;
      expect(testing.bin).toBeUndefined();
      expect(testing.dependencies).toBeUndefined();
      expect(testing.peerDependencies).not.toHaveProperty('@confluentinc/kafka-javascript');
      // local: the commands, esbuild and yaml as its own dependencies, testing's fakes (the event
      // records and the Lambda context it builds), core as the user's copy, the rest optional peers.
      const local = manifests.get('local')!;
      expect(local.version).toBe(core); // one fixed release group
      expect(local.dependencies).toEqual({
        '@kafka-lambda/testing': `^${versions.get('@kafka-lambda/testing')}`,
        esbuild: expect.any(String),
        yaml: expect.any(String),
      });
      expect(local.peerDependencies).toEqual({
        '@kafka-lambda/core': `^${core}`,
        '@kafka-lambda/serdes': `^${versions.get('@kafka-lambda/serdes')}`,
        '@confluentinc/kafka-javascript': expect.stringMatching(/^\^1\./),
      });
      expect(local.peerDependenciesMeta).toEqual({
        '@confluentinc/kafka-javascript': { optional: true },
        '@kafka-lambda/serdes': { optional: true },
      });
      const bin = local.bin as Record<string, string>;
      expect(Object.keys(bin)).toEqual(['kafka-lambda-local', 'kafka-lambda']);
      // Committed files that import dist/*-cli.js: a workspace links a bin before the build.
      expect(bin['kafka-lambda-local']!.replace(/^\.\//, '')).toBe('bin/kafka-lambda-local.mjs');
      expect(bin['kafka-lambda']!.replace(/^\.\//, '')).toBe('bin/kafka-lambda.mjs');
      expect((await readTarball(tarballs.local)).files).toEqual(
        expect.arrayContaining(['dist/kafka-lambda-local-cli.js', 'dist/kafka-lambda-cli.js']),
      );
    },
    SETUP_TIMEOUT,
  );
});

describe('a consumer project', () => {
  const projects: ConsumerProject[] = [];
  let node16: ConsumerProject;
  let bundler: ConsumerProject;
  let commonjs: ConsumerProject;

  beforeAll(async () => {
    [node16, bundler, commonjs] = await Promise.all([
      createConsumerProject('esm-node16', {
        type: 'module',
        files: { ...ESM_SOURCES, 'tsconfig.json': 'esm/tsconfig.node16.json' },
      }),
      createConsumerProject('esm-bundler', {
        type: 'module',
        files: { ...ESM_SOURCES, 'tsconfig.json': 'esm/tsconfig.bundler.json' },
      }),
      createConsumerProject('cjs', {
        type: 'commonjs',
        files: {
          'orders.js': 'cjs/orders.js',
          'main.js': 'cjs/main.js',
          'idempotent.js': 'cjs/idempotent.js',
          'tsconfig.json': 'cjs/tsconfig.json',
        },
      }),
    ]);
    projects.push(node16, bundler, commonjs);
  }, SETUP_TIMEOUT);

  afterAll(() => {
    for (const project of projects) project.remove();
  });

  it(
    'ESM TypeScript (module node16): compiles against dist/index.d.ts, and its handler runs on a fake event',
    async () => {
      // core's README example, from the tarball, compiles as is.
      writeFileSync(join(node16.dir, 'src', 'readme-core.ts'), readmeExample(node16.dir, 'core'));
      const { stdout } = await node16.tsc('-p', '.', '--listFiles');
      expectDeclarations(ourDeclarations(stdout, node16.dir), 'ts', [
        'observability/dist/metrics.d.ts',
        'local/dist/index.d.ts',
      ]);
      expect(await resolvedEntries(node16, 'import')).toEqual(
        PACKAGES.map((name) => `node_modules/@kafka-lambda/${name}/dist/index.js`),
      );
      expect(await resolvedEntries(node16, 'import', NEW_SPECIFIERS)).toEqual(
        NEW_SUBPATHS.map(([, file]) => `${file}.js`),
      );
      expectScenario(await node16.result<ScenarioResult>('out/main.js'));
      expectIdempotent(await node16.result<IdempotentResult>('out/idempotent.js'));
    },
    TEST_TIMEOUT,
  );

  it(
    "ESM TypeScript (moduleResolution bundler): type-checks, bundles with esbuild from the packages' ESM builds, and runs",
    async () => {
      const { stdout } = await bundler.tsc('-p', '.', '--noEmit', '--listFiles');
      expectDeclarations(ourDeclarations(stdout, bundler.dir), 'ts', [
        'observability/dist/metrics.d.ts',
        'local/dist/index.d.ts',
      ]);
      const result = await build({
        absWorkingDir: bundler.dir,
        entryPoints: ['src/main.ts', 'src/idempotent.ts'],
        outdir: 'out',
        outExtension: { '.js': '.mjs' },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: `node${process.versions.node.split('.')[0]}`, // the Node that runs it
        // As CDK's NodejsFunction does: the Lambda runtime provides the AWS SDK. Without it, a project
        // that does not install the optional @aws-sdk/client-secrets-manager cannot bundle core.
        external: ['@confluentinc/kafka-javascript', '@aws-sdk/*'],
        banner: {
          js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        },
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      const ours = inputs.filter((file) => file.includes('@kafka-lambda/'));
      // Entries and their shared chunks, all from the ESM builds (never a .cjs, never src/).
      expect(
        ours.filter((file) => !/^node_modules\/@kafka-lambda\/\w+\/dist\/[\w-]+\.js$/.test(file)),
      ).toEqual([]);
      expect(ours).toEqual(
        expect.arrayContaining([
          ...HANDLER_PACKAGES.map((name) => `node_modules/@kafka-lambda/${name}/dist/index.js`),
          'node_modules/@kafka-lambda/testing/dist/registry.js',
          'node_modules/@kafka-lambda/observability/dist/metrics.js',
        ]),
      );
      expect(inputs.some((file) => file.includes('node_modules/avsc/'))).toBe(true);
      expectScenario(await bundler.result<ScenarioResult>('out/main.mjs'));
      expectIdempotent(await bundler.result<IdempotentResult>('out/idempotent.mjs'));
    },
    TEST_TIMEOUT,
  );

  it(
    'CommonJS JavaScript: checkJs against dist/index.d.cts, require() loads dist/index.cjs, and its handler runs',
    async () => {
      const { stdout } = await commonjs.tsc('-p', '.', '--listFiles');
      expectDeclarations(ourDeclarations(stdout, commonjs.dir), 'cts');
      expect(await resolvedEntries(commonjs, 'require')).toEqual(
        PACKAGES.map((name) => `node_modules/@kafka-lambda/${name}/dist/index.cjs`),
      );
      expect(await resolvedEntries(commonjs, 'require', NEW_SPECIFIERS)).toEqual(
        NEW_SUBPATHS.map(([, file]) => `${file}.cjs`),
      );
      // The local event source's CommonJS build loads too (a Jest project in CommonJS calls runEventSource).
      const { stdout: runner } = await commonjs.exec(process.execPath, [
        '-p',
        "typeof require('@kafka-lambda/local').runEventSource",
      ]);
      expect(runner.trim()).toBe('function');
      expectScenario(await commonjs.result<ScenarioResult>('main.js'));
      expectIdempotent(await commonjs.result<IdempotentResult>('idempotent.js'));
    },
    TEST_TIMEOUT,
  );

  it(
    'gets the kafka-lambda-local command from @kafka-lambda/local',
    async () => {
      const { stdout } = await node16.exec(join(node16.dir, 'node_modules', '.bin', 'kafka-lambda-local'), [
        '--help',
      ]);
      expect(stdout).toMatch(/^Usage: kafka-lambda-local <handler-file>/);
    },
    TEST_TIMEOUT,
  );

  it(
    'gets the kafka-lambda command (redrive) from @kafka-lambda/local',
    async () => {
      const { stdout } = await node16.exec(join(node16.dir, 'node_modules', '.bin', 'kafka-lambda'), [
        'redrive',
        '--help',
      ]);
      expect(stdout).toMatch(/^Usage: kafka-lambda redrive --from <dead-letter topic>/);
    },
    TEST_TIMEOUT,
  );

  it(
    'type errors in consumer code are reported: the declarations are precise, not any',
    async () => {
      // A probe: the same project with one wrong line must fail to compile.
      const probe = join(node16.dir, 'src', 'probe.ts');
      writeFileSync(
        probe,
        "import { createKafkaHandler, json } from '@kafka-lambda/core';\n" +
          'createKafkaHandler({ value: json<{ n: number }>(), process(record) { const s: string = record.value.n; void s; } });\n',
      );
      try {
        await expect(node16.tsc('-p', '.', '--noEmit')).rejects.toThrow(
          /probe\.ts.*Type 'number' is not assignable to type 'string'/,
        );
      } finally {
        writeFileSync(probe, 'export {};\n');
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'without the optional peers: the subpaths that import one fail to load naming it, /metrics loads; tsc names the missing types',
    async () => {
      const specifiers = JSON.stringify([
        ...Object.keys(PEER_SUBPATHS),
        '@kafka-lambda/observability/metrics',
      ]);
      const probe = (load: string) =>
        `const out={};for(const n of ${specifiers}){try{await ${load}(n);out[n]='loaded'}catch(e){out[n]=e.code+' '+/'(@[^']+)'/.exec(e.message)?.[1]}}console.log('RESULT '+JSON.stringify(out))`;
      const loaded = (code: string) => ({
        ...Object.fromEntries(
          Object.entries(PEER_SUBPATHS).map(([entry, peer]) => [entry, `${code} ${peer}`]),
        ),
        '@kafka-lambda/observability/metrics': 'loaded',
      });
      const imported = await node16.exec(process.execPath, ['--input-type=module', '-e', probe('import')]);
      expect(parseResult(imported.stdout)).toEqual(loaded('ERR_MODULE_NOT_FOUND'));
      const required = await commonjs.exec(process.execPath, ['-e', `(async()=>{${probe('require')}})()`]);
      expect(parseResult(required.stdout)).toEqual(loaded('MODULE_NOT_FOUND'));

      // Types: /dynamodb's and /tracing's declarations import their peer's types, so a project with
      // skipLibCheck off gets TS2307 naming the peer in our .d.ts; /redis's declare the client they need.
      const file = join(node16.dir, 'src', 'probe-peers.ts');
      writeFileSync(
        file,
        "import { dynamoDbStore } from '@kafka-lambda/idempotency/dynamodb';\n" +
          "import { redisStore } from '@kafka-lambda/idempotency/redis';\n" +
          "import { kafkaTracing } from '@kafka-lambda/observability/tracing';\n" +
          'export const used = [dynamoDbStore, redisStore, kafkaTracing];\n',
      );
      try {
        const failure = await node16.tsc('-p', '.', '--noEmit').then(
          () => undefined,
          (error: Error) => error.message,
        );
        const errors = (failure ?? '').split('\n').filter((line) => line.includes('error TS'));
        expect(errors.map((line) => line.replace(/\(\d+,\d+\)/, ''))).toEqual([
          "node_modules/@kafka-lambda/idempotency/dist/dynamodb.d.ts: error TS2307: Cannot find module '@aws-sdk/client-dynamodb' or its corresponding type declarations.",
          "node_modules/@kafka-lambda/observability/dist/tracing.d.ts: error TS2307: Cannot find module '@opentelemetry/api' or its corresponding type declarations.",
        ]);
      } finally {
        writeFileSync(file, 'export {};\n');
      }
    },
    TEST_TIMEOUT,
  );
});

describe('a consumer project with the optional peers installed', () => {
  let project: ConsumerProject;

  beforeAll(async () => {
    // The peer ranges the packed manifests declare, from the registry.
    const { tarballs } = await packedPackages();
    const peers: string[] = [];
    for (const name of ['observability', 'idempotency'] as const) {
      const { manifest } = await readTarball(tarballs[name]);
      for (const [peer, range] of Object.entries(manifest.peerDependencies as Record<string, string>))
        if (!peer.startsWith('@kafka-lambda/')) peers.push(`${peer}@${range}`);
    }
    project = await createConsumerProject('subpaths', {
      type: 'module',
      files: {
        'src/subpaths.ts': 'subpaths/subpaths.ts',
        'src/subpaths.cts': 'subpaths/subpaths.ts',
        'tsconfig.json': 'subpaths/tsconfig.json',
        'tsconfig.bundler.json': 'subpaths/tsconfig.bundler.json',
      },
      dependencies: peers,
    });
  }, SETUP_TIMEOUT);

  afterAll(() => project?.remove());

  const SUBPATH_RESULT = {
    stores: [true, true],
    producerEntry: [true, true],
    processed: ['a'],
    metricLines: 1,
  };

  it(
    "ESM and CommonJS (module node16): the subpaths type-check against their .d.ts and .d.cts with the peers' types, and run",
    async () => {
      // observability's and idempotency's README examples, from the tarballs, compile as they are.
      for (const name of ['observability', 'idempotency'] as const)
        writeFileSync(join(project.dir, 'src', `readme-${name}.ts`), readmeExample(project.dir, name));
      const { stdout } = await project.tsc('-p', '.', '--listFiles');
      const read = ourDeclarations(stdout, project.dir);
      expect(read).toEqual(
        expect.arrayContaining(NEW_SUBPATHS.flatMap(([, file]) => [`${file}.d.ts`, `${file}.d.cts`])),
      );
      expect(
        read.filter((file) => !/^node_modules\/@kafka-lambda\/\w+\/dist\/[\w-]+\.d\.c?ts$/.test(file)),
      ).toEqual([]);
      expect(await resolvedEntries(project, 'import', NEW_SPECIFIERS)).toEqual(
        NEW_SUBPATHS.map(([, file]) => `${file}.js`),
      );
      expect(await project.result('out/subpaths.js')).toEqual(SUBPATH_RESULT);
      expect(await project.result('out/subpaths.cjs')).toEqual(SUBPATH_RESULT);
    },
    TEST_TIMEOUT,
  );

  it(
    'ESM (moduleResolution bundler): the subpaths type-check, bundle with esbuild from their ESM builds, and run',
    async () => {
      const { stdout } = await project.tsc('-p', 'tsconfig.bundler.json', '--listFiles');
      expect(ourDeclarations(stdout, project.dir)).toEqual(
        expect.arrayContaining(NEW_SUBPATHS.map(([, file]) => `${file}.d.ts`)),
      );
      const result = await build({
        absWorkingDir: project.dir,
        entryPoints: ['src/subpaths.ts'],
        outfile: 'out/subpaths.bundle.mjs',
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: `node${process.versions.node.split('.')[0]}`,
        external: ['@confluentinc/kafka-javascript', '@aws-sdk/*'], // as on Lambda: the runtime has the AWS SDK
        banner: {
          js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        },
        metafile: true,
        logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs).toEqual(expect.arrayContaining(NEW_SUBPATHS.map(([, file]) => `${file}.js`)));
      expect(inputs.filter((file) => /^node_modules\/@kafka-lambda\/.*\.cjs$/.test(file))).toEqual([]);
      expect(inputs.some((file) => file.startsWith('node_modules/@redis/client/'))).toBe(true);
      expect(await project.result('out/subpaths.bundle.mjs')).toEqual(SUBPATH_RESULT);
    },
    TEST_TIMEOUT,
  );
});

/** Where Node resolves each package (or `specifiers`) from the project: with `import` or `require` conditions. */
async function resolvedEntries(
  project: ConsumerProject,
  mode: 'import' | 'require',
  specifiers: readonly string[] = PACKAGES.map((name) => `@kafka-lambda/${name}`),
): Promise<string[]> {
  const names = JSON.stringify(specifiers);
  const script =
    mode === 'import'
      ? `const {fileURLToPath}=await import('node:url');for(const n of ${names})console.log(fileURLToPath(import.meta.resolve(n)))`
      : `for(const n of ${names})console.log(require.resolve(n))`;
  const args = mode === 'import' ? ['--input-type=module', '-e', script] : ['-e', script];
  const { stdout } = await project.exec(process.execPath, args);
  return stdout
    .trim()
    .split('\n')
    .map((file) => file.slice(project.dir.length + 1));
}

/**
 * The declarations tsc read are our packages' built ones (entries and their shared chunks, never
 * src/), among them each root entry, the in-memory registry's subpath and the `also` ones
 * (package/dist/file, of node_modules/@kafka-lambda).
 */
function expectDeclarations(files: string[], ext: 'ts' | 'cts', also: readonly string[] = []): void {
  const pattern = new RegExp(`^node_modules/@kafka-lambda/\\w+/dist/[\\w-]+\\.d\\.${ext}$`);
  expect(files.filter((file) => !pattern.test(file))).toEqual([]);
  expect(files).toEqual(
    expect.arrayContaining([
      ...HANDLER_PACKAGES.map((name) => `node_modules/@kafka-lambda/${name}/dist/index.d.${ext}`),
      `node_modules/@kafka-lambda/testing/dist/registry.d.${ext}`,
      ...also.map((file) => `node_modules/@kafka-lambda/${file}`),
    ]),
  );
}

/** The first ```ts block of a package's README as installed (i.e. as shipped in its tarball). */
function readmeExample(dir: string, name: PackageName): string {
  const readme = readFileSync(join(dir, 'node_modules', '@kafka-lambda', name, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error(`no ts example in ${name}'s README`);
  return block[1]!;
}

/** The `npm install @kafka-lambda/<name>` line of the README in the tarball. */
function readmeInstallLine(tarball: string): string | undefined {
  const name = /^kafka-lambda-(\w+)-/.exec(basename(tarball))![1];
  return readFileFromTarball(tarball, 'package/README.md')
    .split('\n')
    .find((line) => line.startsWith(`npm install`) && line.includes(`@kafka-lambda/${name}`));
}

function readFileFromTarball(tarball: string, path: string): string {
  return execFileSync('tar', ['-xzOf', tarball, path], { encoding: 'utf8' });
}
