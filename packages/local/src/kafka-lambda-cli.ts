#!/usr/bin/env node
// kafka-lambda: a function's native client, its Lambda bundle, and operations on a deployment.
import { runAddonCommand } from './addon/addon-command.js';
import { runBundleCommand } from './bundle/bundle-command.js';
import { redriveDeadLetters } from './redrive/redrive.js';
import { parseRedriveArgs, REDRIVE_USAGE } from './redrive/redrive-cli-options.js';
import { EXIT_CODES } from './runner/exit-codes.js';

const USAGE = `Usage: kafka-lambda <command> [options]

Commands:
  addon       a working native Kafka client addon for a Node (kafka-lambda addon --help)
  bundle      bundle a handler for Lambda, with the addon, and check it (kafka-lambda bundle --help)
  redrive     send the dead letters of a topic back to their source (kafka-lambda redrive --help)

The local event source is kafka-lambda-local.`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (command === 'addon') return runAddonCommand(rest, { projectDir: process.cwd() });
  if (command === 'bundle') return runBundleCommand(rest, { projectDir: process.cwd() });
  if (command !== 'redrive') {
    process.stderr.write(`kafka-lambda: no command "${command}"\n\n${USAGE}\n`);
    return EXIT_CODES.usage;
  }
  let parsed: ReturnType<typeof parseRedriveArgs>;
  try {
    parsed = parseRedriveArgs(rest, process.env);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${REDRIVE_USAGE}\n`);
    return EXIT_CODES.usage;
  }
  if (parsed.help) {
    process.stdout.write(`${REDRIVE_USAGE}\n`);
    return EXIT_CODES.ok;
  }
  const { options } = parsed;
  try {
    const summary = await redriveDeadLetters({
      ...options,
      onPlan: (plan, letter) => {
        const at = `${letter.topic}-${letter.partition}@${letter.offset}`;
        if (plan.action === 'skip') {
          if (plan.reason !== 'filtered')
            process.stderr.write(
              `${JSON.stringify({ skipped: at, reason: plan.reason, detail: plan.detail })}\n`,
            );
        } else if (options.dryRun) {
          const { topic, partition } = plan.message;
          process.stdout.write(
            `${JSON.stringify({ wouldRedrive: at, to: { topic, partition }, source: plan.source, errorClass: plan.errorClass })}\n`,
          );
        }
      },
    });
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return EXIT_CODES.ok;
  } catch (error) {
    const cause = (error as Error).cause;
    process.stderr.write(
      `kafka-lambda redrive: ${(error as Error).message}${cause instanceof Error ? `: ${cause.message}` : ''}\n`,
    );
    return EXIT_CODES.failed;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(EXIT_CODES.failed);
  },
);
