import { execFileSync } from 'node:child_process';

/** What loading an addon in a given Node gave. */
export type ProbeResult =
  | { ok: true; features: string[] }
  | { ok: false; message: string; compiledFor: string | undefined };

/**
 * Loads `file` in `node` (a child process: a foreign addon cannot be unloaded): librdkafka's builtin
 * features, or the loader's error and, when that is why, the NODE_MODULE_VERSION it was compiled for.
 *
 * @example
 * ```ts
 * const probe = probeLoad(process.execPath, 'build/Release/confluent-kafka-javascript.node');
 * if (probe.ok) console.log(probe.features); // ['gzip', 'snappy', …]
 * ```
 */
export function probeLoad(node: string, file: string): ProbeResult {
  try {
    const features = execFileSync(
      node,
      ['-e', 'process.stdout.write(require(process.argv[1]).features())', file],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    return { ok: true, features: features.split(',') };
  } catch (error) {
    const message = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    const compiledFor = /using\s+NODE_MODULE_VERSION (\d+)/.exec(message)?.[1];
    const reason = message.split('\n').find((line) => /^Error/.test(line)) ?? message.trim().split('\n')[0]!;
    return { ok: false, compiledFor, message: reason };
  }
}
