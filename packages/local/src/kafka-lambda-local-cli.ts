#!/usr/bin/env node
// kafka-lambda-local: run a built Lambda handler against real Kafka topics, the way the ESM would.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_USAGE, parseCliArgs } from './runner/cli-options.js';
import { EXIT_CODES, signalExitCode } from './runner/exit-codes.js';
import { replayFiles } from './runner/failure-files.js';
import { InProcessInvoker } from './runner/in-process-invoker.js';
import { RieInvoker } from './runner/rie-invoker.js';
import { runEventSource } from './runner/run-event-source.js';
import type { EventSourceRunner, LocalHandler } from './runner/types.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function log(line: string): void {
  process.stderr.write(`[kafka-lambda-local] ${line}\n`);
}

/**
 * The process is this CLI's own: it listens to SIGINT and SIGTERM for its whole life (so that core's
 * SIGTERM hook, which re-raises the signal only when nobody else listens, never decides the exit
 * code), and ends with `process.exit` once the runner, its consumer and the handler's producer are
 * closed. A first signal stops gracefully; a second one exits at once.
 */
async function main(stopRequested: { runner?: EventSourceRunner; signalled?: string }): Promise<number> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${CLI_USAGE}\n`);
    return EXIT_CODES.usage;
  }
  if (command.help) {
    process.stdout.write(`${CLI_USAGE}\n`);
    return EXIT_CODES.ok;
  }
  if (command.template) {
    log(`event source mapping from ${command.template.mapping}`);
    // Never silently ignored: what the deployed mapping does that this run will not.
    for (const line of command.template.notEmulated) log(`not emulated: ${line}`);
  }
  // The handler's own envConfig() reads the cluster the runner consumes from (as a deployed function's
  // environment names its cluster): set before the handler module loads, and passed to the emulator.
  process.env.KAFKA_BROKERS = String(command.options.brokers);
  if (command.ordering) {
    process.env.KAFKA_LAMBDA_ORDERING = command.ordering;
    log(
      `ordering: ${command.ordering} (KAFKA_LAMBDA_ORDERING: a handler whose code sets \`ordering\` keeps its own)`,
    );
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
      return EXIT_CODES.usage;
    }
    handler = exported as LocalHandler;
  }
  if (command.fromFailuresDir) return replayFolder(command, handler);
  const runner = await runEventSource({ ...command.options, ...(handler ? { handler } : {}) });
  stopRequested.runner = runner;
  if (stopRequested.signalled) void runner.stop();
  else {
    await Promise.race([runner.ready, runner.done.catch(() => undefined)]);
    log(`consuming ${command.options.topics.join(', ')}; Ctrl-C stops gracefully`);
  }
  try {
    const stats = await runner.done;
    log(`stopped: ${JSON.stringify(stats)}`);
    return EXIT_CODES.ok;
  } catch (error) {
    log(`stopped on error: ${(error as Error).message}`);
    return EXIT_CODES.failed;
  }
}

/** `--from-failures-dir`: one invocation per on-failure file, then the exit code says whether all passed. */
async function replayFolder(
  command: ReturnType<typeof parseCliArgs>,
  handler: LocalHandler | undefined,
): Promise<number> {
  const { options } = command;
  const functionName = options.functionName ?? 'kafka-lambda-local';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const invoker = options.rie
    ? await RieInvoker.start(options.rie, { timeoutMs, functionName })
    : new InProcessInvoker(handler!, functionName, true);
  try {
    const { replayed, failed } = await replayFiles(command.fromFailuresDir!, invoker, timeoutMs, undefined);
    for (const { file, error } of failed) log(`not replayed: ${file}: ${error.message}`);
    log(`replayed ${replayed.length} on-failure file(s), ${failed.length} failed`);
    return failed.length === 0 ? EXIT_CODES.ok : EXIT_CODES.failed;
  } finally {
    await invoker.close();
  }
}

const state: { runner?: EventSourceRunner; signalled?: string } = {};
const onSignal = (signal: NodeJS.Signals) => {
  if (state.signalled) {
    log(`${signal} again: exiting without waiting for the batch in flight`);
    process.exit(signalExitCode(signal));
  }
  state.signalled = signal;
  log(`${signal}: stopping, finishing the batch in flight… (again to exit at once)`);
  void state.runner?.stop();
};
for (const signal of SIGNALS) process.on(signal, onSignal);

main(state).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(EXIT_CODES.failed);
  },
);
