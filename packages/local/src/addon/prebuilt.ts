// The package's prebuilt binary (GitHub releases; node-pre-gyp's `binary` in its package.json), fetched
// for a Node other than the running one too: --target names the version, so the file is the one for
// that Node's ABI. It is downloaded into a scratch copy of the package, never into node_modules.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ADDON_FILE } from './addon-cache.js';
import type { NodeRuntime } from './node-runtime.js';

/** A downloaded addon (in `dir`/build/Release), or the download's own error lines. */
export type PrebuiltResult =
  | { ok: true; dir: string; url: string | undefined }
  | { ok: false; lines: string[] };

/**
 * Downloads the prebuilt addon of the installed package `pkg` for `runtime` into a directory under
 * `scratch`. A mirror is set as node-pre-gyp reads it: npm_config_confluent_kafka-javascript_binary_host_mirror (node-pre-gyp replaces only the first dash).
 *
 * @example
 * ```ts
 * const got = await fetchPrebuilt(pkg, describeNode(), tmpdir());
 * if (!got.ok) console.log(got.lines.join('\n')); // … getaddrinfo ENOTFOUND github.com
 * ```
 */
export function fetchPrebuilt(pkg: string, runtime: NodeRuntime, scratch: string): Promise<PrebuiltResult> {
  let bin: string;
  try {
    bin = join(
      dirname(createRequire(join(pkg, 'package.json')).resolve('@mapbox/node-pre-gyp/package.json')),
      'bin',
      'node-pre-gyp',
    );
  } catch {
    return Promise.resolve({ ok: false, lines: [`@mapbox/node-pre-gyp is not installed beside ${pkg}`] });
  }
  const dir = mkdtempSync(join(scratch, 'prebuilt-'));
  copyFileSync(join(pkg, 'package.json'), join(dir, 'package.json'));
  const args = [
    bin,
    'install',
    '--fallback-to-build=false',
    `--target=${runtime.version}`,
    `--target_arch=${runtime.arch}`,
    `--target_platform=${runtime.platform}`,
    `--target_libc=${runtime.libc}`,
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd: dir, encoding: 'utf8', timeout: 180_000, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        const output = `${stdout}\n${stderr}`;
        const url = /(?:GET|Found local file to extract from) (\S+)/.exec(output)?.[1];
        if (!error && existsSync(join(dir, 'build', 'Release', ADDON_FILE)))
          return resolve({ ok: true, dir, url });
        // node-pre-gyp's first [error] line says what failed (the request and why); the rest repeat it.
        const lines = output
          .split('\n')
          .filter(
            (line) =>
              line.startsWith('[error] ') &&
              !/^\[error\] (install error|stack|System|command|cwd|node -v|node-pre-gyp -v|not ok)\b/.test(
                line,
              ),
          )
          .slice(0, 1);
        resolve({ ok: false, lines: lines.length > 0 ? lines : [error?.message ?? 'no addon downloaded'] });
      },
    );
  });
}
