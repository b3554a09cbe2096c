#!/usr/bin/env node
// Type-checks every TypeScript sample of the documentation against the packages' sources.
//
//   node scripts/docs/check-samples.mjs            # docs/**/*.md, README.md, packages/*/README.md
//   node scripts/docs/check-samples.mjs docs README.md   # only these files or directories
//
// Conventions (also in docs/index.md, "Writing samples"):
// - Every ```ts / ```typescript block is checked, each as its own ES module (top-level await works,
//   names never clash between samples).
// - ```ts nocheck skips a block (pseudo-code, signatures); ```ts cdk marks AWS CDK code, which needs
//   aws-cdk-lib (not a dependency of this repo) and is skipped too.
// - A block whose first line is a file-name comment (`// handler.ts`) is written under that name, so
//   later blocks of the same Markdown file can import it (`import { handler } from './handler.js'`).
// - Placeholders that samples use without defining them (`UserTrade`, `settle`, …) are declared once in
//   scripts/docs/sample-globals.d.ts.
//
// Exits 1 and prints `file:line:column` of each failing sample line; 0 when all samples compile.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cacheDir = join(root, 'node_modules', '.cache', 'doc-samples');
const globalsFile = join(root, 'scripts', 'docs', 'sample-globals.d.ts');
const CHECKED_LANGS = new Set(['ts', 'typescript']);
const SKIP_TAGS = new Set(['nocheck', 'cdk']);
const FILE_NAME_COMMENT = /^\/\/\s*([\w.-]+(?:\/[\w.-]+)*\.(?:ts|mts|tsx))\s*$/;

/** Markdown files to scan: the arguments (files or directories), or the default set. */
function markdownFiles(args) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (path !== join(root, 'docs', 'api') && name !== 'node_modules') walk(path);
      } else if (name.endsWith('.md')) files.push(path);
    }
  };
  if (args.length > 0) {
    for (const arg of args) {
      const path = resolve(arg);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
    return files;
  }
  files.push(join(root, 'README.md'));
  walk(join(root, 'docs'));
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    const readme = join(root, 'packages', pkg, 'README.md');
    if (statSync(readme, { throwIfNoEntry: false })?.isFile()) files.push(readme);
  }
  return files;
}

/** The fenced code blocks of a Markdown text: info string, first content line (1-based), content, indent. */
export function extractBlocks(text) {
  const lines = text.split(/\r?\n/);
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    // CommonMark: a backtick fence's info string has no backticks (```` ```ts ```` is inline code).
    if (fence[0] === '`' && (lang + rest).includes('`')) continue;
    const body = [];
    let j = i + 1;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    for (; j < lines.length && !close.test(lines[j]); j++) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    blocks.push({
      lang: lang.toLowerCase(),
      tags: rest.split(/[\s,]+/).filter(Boolean),
      line: i + 2,
      column: indent.length,
      code: body.join('\n'),
    });
    i = j;
  }
  return blocks;
}

function main() {
  const docs = markdownFiles(process.argv.slice(2));
  rmSync(cacheDir, { recursive: true, force: true });
  /** Generated file → where its lines come from. */
  const origins = new Map();
  let checked = 0;
  let skipped = 0;
  for (const doc of docs) {
    const docDir = join(cacheDir, relative(root, doc).replace(/[^\w.-]+/g, '_'));
    for (const block of extractBlocks(readFileSync(doc, 'utf8'))) {
      if (!CHECKED_LANGS.has(block.lang)) continue;
      if (block.tags.some((tag) => SKIP_TAGS.has(tag))) {
        skipped++;
        continue;
      }
      const named = FILE_NAME_COMMENT.exec(block.code.split('\n', 1)[0].trim());
      const file = join(docDir, named ? named[1] : `sample-line-${block.line}.ts`);
      if (origins.has(file)) {
        fail(`${relative(root, doc)}:${block.line}: two samples are named ${named?.[1] ?? file}`);
      }
      mkdirSync(dirname(file), { recursive: true });
      // `export {}` makes every sample a module, even one without imports: own scope, top-level await.
      writeFileSync(file, `${block.code}\nexport {};\n`);
      origins.set(file, { doc, line: block.line, column: block.column });
      checked++;
    }
  }
  if (checked === 0) {
    console.log(`no TypeScript samples found (${skipped} skipped)`);
    return;
  }

  const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    {
      ...base.config.compilerOptions,
      noEmit: true,
      declaration: false,
      sourceMap: false,
      // Samples show a piece of code: a helper declared and not used is fine there.
      noUnusedLocals: false,
      noUnusedParameters: false,
      allowImportingTsExtensions: false,
      types: ['node'],
      baseUrl: root,
      paths: {
        '@kafka-lambda/core': ['packages/core/src/index.ts'],
        '@kafka-lambda/core/*': ['packages/core/src/entry/*.ts'],
        '@kafka-lambda/serdes': ['packages/serdes/src/index.ts'],
        '@kafka-lambda/serdes/*': ['packages/serdes/src/entry/*.ts'],
        '@kafka-lambda/testing': ['packages/testing/src/index.ts'],
        '@kafka-lambda/testing/*': ['packages/testing/src/entry/*.ts'],
        '@kafka-lambda/local': ['packages/local/src/index.ts'],
        '@kafka-lambda/observability': ['packages/observability/src/index.ts'],
        '@kafka-lambda/observability/*': ['packages/observability/src/entry/*.ts'],
        '@kafka-lambda/idempotency': ['packages/idempotency/src/index.ts'],
        '@kafka-lambda/idempotency/*': ['packages/idempotency/src/entry/*.ts'],
        // The store clients that idempotency samples create: dev dependencies of that package only.
        '@aws-sdk/client-dynamodb': ['packages/idempotency/node_modules/@aws-sdk/client-dynamodb'],
        '@redis/client': ['packages/idempotency/node_modules/@redis/client'],
        // The OpenTelemetry SDK and Powertools Metrics that observability samples set up: dev
        // dependencies of that package only.
        '@opentelemetry/*': ['packages/observability/node_modules/@opentelemetry/*'],
        '@aws-lambda-powertools/metrics': [
          'packages/observability/node_modules/@aws-lambda-powertools/metrics',
        ],
      },
    },
    root,
  );
  if (errors.length > 0) fail(ts.formatDiagnostics(errors, host()));
  const program = ts.createProgram({ rootNames: [globalsFile, ...origins.keys()], options });
  const diagnostics = ts.getPreEmitDiagnostics(program);

  let failures = 0;
  let elsewhere = 0;
  for (const diagnostic of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const file = diagnostic.file?.fileName && resolve(diagnostic.file.fileName);
    const origin = file && origins.get(file);
    if (origin && diagnostic.start !== undefined) {
      const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const where = `${relative(root, origin.doc)}:${origin.line + line}:${origin.column + character + 1}`;
      console.error(`${where}: error TS${diagnostic.code}: ${message}`);
      failures++;
    } else if (file === globalsFile || !file) {
      console.error(`${file ? relative(root, file) : 'tsc'}: error TS${diagnostic.code}: ${message}`);
      failures++;
    } else {
      // The packages' own type errors are `pnpm typecheck`'s business; count them, don't blame the docs.
      elsewhere++;
    }
  }
  const docCount = new Set([...origins.values()].map((origin) => origin.doc)).size;
  const summary = `${checked} samples in ${docCount} files checked, ${skipped} skipped (nocheck/cdk)`;
  if (elsewhere > 0)
    console.warn(`note: ${elsewhere} type error(s) outside the samples (run pnpm typecheck)`);
  if (failures > 0) fail(`${failures} error(s) in documentation samples; ${summary}`);
  console.log(`documentation samples OK: ${summary}`);
}

function host() {
  return {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => root,
    getNewLine: () => '\n',
  };
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
