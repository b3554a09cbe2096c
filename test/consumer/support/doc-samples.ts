// What a documentation page tells a reader to write and run: the files (fenced blocks whose first line
// names a file) and the shell commands (```sh blocks), for tests that follow the docs literally.
import { join } from 'node:path';
import { WORKSPACE } from './consumer-project.js';

const STACK = join(WORKSPACE, 'scripts', 'stack', 'stack.mjs');

/** Every fenced block of a doc whose first line is `// <path>`: the files the doc tells you to write. */
export function docFiles(markdown: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [, body] of markdown.matchAll(/```(?:ts|js|jsonc)\n([\s\S]*?)```/g)) {
    const first = body!.split('\n', 1)[0]!;
    const named = /^\/\/ ((?:src\/)?[\w./-]+\.(?:ts|mjs|js|json))$/.exec(first);
    if (named) files[named[1]!] = body!;
  }
  return files;
}

/** The shell commands of a doc's ```sh blocks, one per line, comments dropped. */
export function docCommands(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, body]) =>
    body!
      .split('\n')
      .map((line) => line.replace(/\s*#.*$/, '').trim())
      .filter(Boolean),
  );
}

/** Runs `command` in a shell after `eval "$(node scripts/stack/stack.mjs env)"`, as the docs say. */
export function withStackEnv(command: string): [string, string[]] {
  return ['bash', ['-c', `eval "$("${process.execPath}" "${STACK}" env)" && ${command}`]];
}
