// The bundle, copied to a clean directory (nothing around it to resolve from by accident), is loaded
// by a Node of the function's runtime with Lambda's environment variables, from that directory as the
// working directory: the handler must be an exported function, and the shipped native client must
// load there (its addon, and librdkafka through the addon's RUNPATH).
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LambdaRuntime, lambdaEnvironment } from './lambda-runtime.js';

const CHECK = `
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const [entry, exportName, loadNative] = process.argv.slice(2);
const report = (result) => { process.stdout.write('KAFKA_LAMBDA_CHECK ' + JSON.stringify(result) + '\\n'); process.exit(0); };
try {
  const fn = await import(pathToFileURL(entry).href);
  if (typeof fn[exportName] !== 'function')
    report({ ok: false, reason: 'index.mjs exports no function "' + exportName + '" (exports: ' + Object.keys(fn).join(', ') + ')' });
  let features;
  if (loadNative === '1') features = createRequire(entry)('@confluentinc/kafka-javascript').features;
  report({ ok: true, features });
} catch (error) {
  report({ ok: false, reason: String(error?.stack ?? error).split('\\n').slice(0, 3).join(' | ') });
}`;

/** What loading the bundle in a clean directory gave. */
export type LoadResult = { ok: true; features: string[] | undefined } | { ok: false; reason: string };

/**
 * Copies `out` to a fresh directory and imports its index.mjs there with `node`.
 *
 * @example
 * ```ts
 * const loaded = await loadInCleanDirectory('dist/lambda', process.execPath, 'nodejs24.x', { loadNative: true, env: {} });
 * ```
 */
export async function loadInCleanDirectory(
  out: string,
  node: string,
  runtime: LambdaRuntime,
  {
    loadNative,
    env,
    exportName = 'handler',
  }: { loadNative: boolean; env: Record<string, string>; exportName?: string },
): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-lambda-bundle-check-'));
  const task = join(dir, 'task');
  cpSync(out, task, { recursive: true });
  writeFileSync(join(dir, 'check.mjs'), CHECK);
  try {
    return await new Promise<LoadResult>((resolve) => {
      execFile(
        node,
        [join(dir, 'check.mjs'), join(task, 'index.mjs'), exportName, loadNative ? '1' : '0'],
        {
          cwd: task,
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...lambdaEnvironment(task, runtime), ...env },
        },
        (error, stdout, stderr) => {
          const line = stdout.split('\n').find((l) => l.startsWith('KAFKA_LAMBDA_CHECK '));
          if (line) {
            const result = JSON.parse(line.slice('KAFKA_LAMBDA_CHECK '.length)) as {
              ok: boolean;
              reason?: string;
              features?: string[];
            };
            return resolve(
              result.ok ? { ok: true, features: result.features } : { ok: false, reason: result.reason! },
            );
          }
          resolve({
            ok: false,
            reason: `${error?.message ?? 'no result'}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          });
        },
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
