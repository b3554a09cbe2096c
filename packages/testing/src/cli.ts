#!/usr/bin/env node
// kafka-lambda-local: run a built Lambda handler against real Kafka topics, the way the ESM would.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_USAGE, parseCliArgs } from './runner/cli-options.js';
import { runEventSource } from './runner/run-event-source.js';
import type { LocalHandler } from './runner/types.js';

async function main(): Promise<number> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${CLI_USAGE}\n`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return 0;
  }
  let handler: LocalHandler | undefined;
  if (!command.options.rie) {
    const module = (await import(pathToFileURL(path.resolve(command.handlerFile)).href)) as Record<
      string,
      unknown
    >;
    const exported =
      module[command.exportName] ??
      (module.default as Record<string, unknown> | undefined)?.[command.exportName];
    if (typeof exported !== 'function') {
      process.stderr.write(
        `${command.handlerFile} exports no function "${command.exportName}" (use --export)\n`,
      );
      return 2;
    }
    handler = exported as LocalHandler;
  }
  const runner = await runEventSource({ ...command.options, ...(handler ? { handler } : {}) });
  await runner.ready;
  process.stderr.write(
    `[kafka-lambda-local] consuming ${command.options.topics.join(', ')}; Ctrl-C stops gracefully\n`,
  );
  const stop = () => {
    process.stderr.write('[kafka-lambda-local] stopping: finishing the batch in flight…\n');
    void runner.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const stats = await runner.done;
    process.stderr.write(`[kafka-lambda-local] stopped: ${JSON.stringify(stats)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`[kafka-lambda-local] stopped on error: ${(error as Error).message}\n`);
    return 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `[kafka-lambda-local] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
