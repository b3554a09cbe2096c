// Issue 15's "done when": a new user's first hour, played from the packed packages in a fresh project
// outside the workspace. The files come from docs/getting-started.md as written (every fenced block
// whose first line names a file), the commands are the ones those docs give, the broker is the local
// stack's, and the environment is what `eval "$(node scripts/stack/stack.mjs env)"` leaves. Topic names
// get a per-run suffix: the broker is shared.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KafkaJS } from '@confluentinc/kafka-javascript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopic } from '../support/kafka.js';
import {
  type ConsumerProject,
  cleanEnv,
  createConsumerProject,
  WORKSPACE,
} from './support/consumer-project.js';

const SETUP_TIMEOUT = 300_000;
const GETTING_STARTED = readFileSync(join(WORKSPACE, 'docs', 'getting-started.md'), 'utf8');
const TESTING = readFileSync(join(WORKSPACE, 'docs', 'testing.md'), 'utf8');
const STACK = join(WORKSPACE, 'scripts', 'stack', 'stack.mjs');
const id = randomUUID().slice(0, 8);
const topics = { orders: `orders.${id}`, large: `large-orders.${id}`, dlq: `orders.dlq.${id}` };

/** Every fenced block of a doc whose first line is `// <path>`: the files the doc tells you to write. */
function docFiles(markdown: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [, body] of markdown.matchAll(/```(?:ts|js|jsonc)\n([\s\S]*?)```/g)) {
    const first = body!.split('\n', 1)[0]!;
    const named = /^\/\/ ((?:src\/)?[\w./-]+\.(?:ts|mjs|js|json))$/.exec(first);
    if (named) files[named[1]!] = body!;
  }
  return files;
}

/** The shell commands of a doc's ```sh blocks, one per line, comments dropped. */
function docCommands(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(([, body]) =>
    body!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean),
  );
}

/** Runs `command` in the project after `eval "$(node scripts/stack/stack.mjs env)"`, as the docs say. */
function withStackEnv(command: string): [string, string[]] {
  return ['bash', ['-c', `eval "$("${process.execPath}" "${STACK}" env)" && ${command}`]];
}

async function produceOrders(values: string[]): Promise<void> {
  const producer = new KafkaJS.Kafka({
    kafkaJS: { brokers: ['127.0.0.1:9092'], logLevel: KafkaJS.logLevel.ERROR },
  }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic: topics.orders,
      messages: values.map((value, i) => ({ key: `o-${i}`, value })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** `kafka-lambda-local` as `npx` would start it, with its stderr collected. */
function startCli(
  project: ConsumerProject,
  args: string,
): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<{ code: number | null; signal: string | null; at: number }>;
} {
  const [command, argv] = args.includes('--brokers')
    ? // No stack env at all: the brokers come from the command line only.
      [
        'bash',
        [
          '-c',
          `unset KAFKA_BROKERS KAFKA_SASL_MECHANISM KAFKA_SASL_USERNAME KAFKA_SASL_PASSWORD && exec node_modules/.bin/kafka-lambda-local ${args}`,
        ],
      ]
    : withStackEnv(`exec node_modules/.bin/kafka-lambda-local ${args}`);
  const child = spawn(command, argv, { cwd: project.dir, env: cleanEnv({ PATH: `${process.env.PATH}` }) });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exit = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return { child, output: () => output, exit };
}

async function until(condition: () => boolean, what: () => string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting; output so far:\n${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a new user, following docs/getting-started.md and docs/testing.md', () => {
  let project: ConsumerProject;

  beforeAll(async () => {
    project = await createConsumerProject('new-user', {
      type: 'module', // `npm pkg set type=module`
      nativeClient: true, // `npm install @confluentinc/kafka-javascript` (linked: built from source here)
      packages: ['core', 'testing', 'local'], // no @kafka-lambda/serdes: getting started does not install it
      dependencies: ['zod@^4'],
      files: {},
    });
    for (const [path, body] of Object.entries(docFiles(GETTING_STARTED))) {
      const text = body
        .replaceAll("'orders.dlq'", `'${topics.dlq}'`)
        .replaceAll("'large-orders'", `'${topics.large}'`);
      mkdirSync(dirname(join(project.dir, path)), { recursive: true });
      writeFileSync(join(project.dir, path), text);
    }
  }, SETUP_TIMEOUT);

  afterAll(() => project?.remove());

  it('the docs give the files and commands this test runs', () => {
    expect(Object.keys(docFiles(GETTING_STARTED)).sort()).toEqual([
      'create-topics.mjs',
      'src/handler.ts',
      'src/orders.test.ts',
      'src/orders.ts',
      'tsconfig.json',
    ]);
    const commands = docCommands(GETTING_STARTED);
    expect(commands).toContain('npm init -y && npm pkg set type=module');
    // The packages this test installs: the fakes and the local event source, as dev dependencies.
    const devInstall = commands.find((command) => command.startsWith('npm install --save-dev'));
    expect(devInstall?.split(' ')).toEqual(
      expect.arrayContaining(['@kafka-lambda/testing', '@kafka-lambda/local']),
    );
    expect(commands).toContain('node create-topics.mjs orders large-orders orders.dlq');
    expect(commands).toContain('npx tsc');
    expect(commands).toContain('npx kafka-lambda-local dist/handler.js --topic orders');
    expect(docCommands(TESTING)).toContain('eval "$(node scripts/stack/stack.mjs env)"');
  });

  it(
    'creates the topics, builds with tsc (MSKHandler annotation, zod), and kafka-lambda-local exits 0 within seconds of Ctrl-C after producing',
    async () => {
      const created = await project.exec(
        ...withStackEnv(`node create-topics.mjs ${topics.orders} ${topics.large} ${topics.dlq}`),
      );
      expect(created.stdout).toContain(`created: ${topics.orders}, ${topics.large}, ${topics.dlq}`);
      await project.tsc('-p', '.'); // `npx tsc`: the handler's `MSKHandler` annotation type-checks
      await produceOrders([
        JSON.stringify({ id: 'o-0', total: 5_000 }),
        JSON.stringify({ id: 'o-1', total: 20 }),
        JSON.stringify({ id: 'o-2', total: 'a lot' }), // zod refuses it: dead-lettered at decode
        JSON.stringify({ id: 'o-3', total: -1 }), // process() throws: dead-lettered at process
      ]);

      const cli = startCli(project, `dist/handler.js --topic ${topics.orders} --batch-window-ms 200`);
      await until(() => /"records":4/.test(cli.output()), cli.output);
      const [large, dead] = await Promise.all([readTopic(topics.large, 1), readTopic(topics.dlq, 2)]);
      expect(large.map((m) => JSON.parse(m.value!.toString()))).toEqual([{ id: 'o-0', total: 5_000 }]);
      // o-2 failed zod's check (decode stage), o-3 threw in process(): both dead-lettered.
      const reasons = Object.fromEntries(dead.map((m) => [m.key, m.headers['kafka-lambda.dlq.reason']]));
      expect(reasons).toEqual({ 'o-2': 'decode', 'o-3': 'process' });

      const sentAt = Date.now();
      cli.child.kill('SIGINT');
      const { code, signal, at } = await cli.exit;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(at - sentAt).toBeLessThan(5_000);
      expect(cli.output()).toMatch(/stopped: .*"recordsCommitted":4/);
    },
    SETUP_TIMEOUT,
  );

  it(
    "--brokers reaches the handler's envConfig(); SIGTERM exits 0 too; a handler whose retries run out exits 1 on its own",
    async () => {
      const term = startCli(
        project,
        `dist/handler.js --topic ${topics.orders} --brokers 127.0.0.1:9092 --group-id again-${id} --batch-window-ms 200`,
      );
      // Its producer works from --brokers alone: the two bad orders are dead-lettered again.
      await until(() => /"deadLettered":2/.test(term.output()), term.output);
      const sentAt = Date.now();
      term.child.kill('SIGTERM');
      const stopped = await term.exit;
      expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
      expect(stopped.at - sentAt).toBeLessThan(5_000);

      writeFileSync(
        join(project.dir, 'failing.mjs'),
        [
          "import { createKafkaHandler } from '@kafka-lambda/core';",
          "import { envConfig } from '@kafka-lambda/core/config';",
          "import { kafkaProducer } from '@kafka-lambda/core/producer';",
          'export const handler = createKafkaHandler({',
          `  producer: kafkaProducer(envConfig()), onError: 'retry-batch',`,
          `  process(record, { produce }) { produce({ topic: '${topics.large}', value: 'x' }); throw new Error('always'); },`,
          '});',
        ].join('\n'),
      );
      const failing = startCli(
        project,
        `failing.mjs --topic ${topics.orders} --max-retries 1 --batch-window-ms 50`,
      );
      const exited = await Promise.race([
        failing.exit,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 60_000)),
      ]);
      if (!exited) failing.child.kill('SIGKILL');
      expect(exited, failing.output()).toMatchObject({ code: 1, signal: null });
      expect(failing.output()).toContain('RETRIES EXHAUSTED');
    },
    SETUP_TIMEOUT,
  );

  it(
    "a script following docs/testing.md's runEventSource sample ends by itself after runner.stop()",
    async () => {
      expect(TESTING).toContain('await runner.stop();');
      writeFileSync(
        join(project.dir, 'run-local.mjs'),
        [
          "import { envConfig } from '@kafka-lambda/core/config';",
          "import { kafkaProducer } from '@kafka-lambda/core/producer';",
          "import { runEventSource } from '@kafka-lambda/local';",
          "import { createOrderHandler } from './dist/orders.js';",
          'const runner = await runEventSource({',
          "  brokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',",
          `  topics: ['${topics.orders}'],`,
          '  handler: createOrderHandler(kafkaProducer(envConfig())),',
          '  batchSize: 100,',
          '  batchWindowMs: 200,',
          '});',
          'const stats = await runner.waitFor((s) => s.recordsCommitted >= 4, 30_000);',
          'await runner.stop();',
          "console.log('RESULT ' + JSON.stringify({ committed: stats.recordsCommitted }));",
        ].join('\n'),
      );
      const started = Date.now();
      const { stdout } = await project.exec(...withStackEnv('timeout 40 node run-local.mjs'));
      expect(stdout).toContain('RESULT {"committed":4}');
      expect(Date.now() - started).toBeLessThan(35_000);
    },
    SETUP_TIMEOUT,
  );
});
