import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KafkaEvent } from '@kafka-lambda/core/events';
import { InvalidTestInputError } from '@kafka-lambda/testing';
import { FunctionError, InvocationTimeoutError } from './errors.js';
import { RIE_BOOTSTRAP_SOURCE } from './rie-bootstrap.js';
import type { Invoker, RieOptions } from './types.js';

const HOST = '127.0.0.1';
const INVOKE_PATH = '/2015-03-31/functions/function/invocations';
const OUTPUT_TAIL_BYTES = 8_192;

/**
 * Runs the handler file inside the AWS Lambda Runtime Interface Emulator: the first invocation is a
 * real cold start (the module loads then), later ones reuse the same process, as a warm container does.
 * The emulator serves one invocation at a time.
 */
export class RieInvoker implements Invoker {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dir: string;
  #output = '';
  #exited = false;

  private constructor(url: string, child: ChildProcess, dir: string, inherit: boolean) {
    this.url = url;
    this.#child = child;
    this.#dir = dir;
    const collect = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
      if (inherit) process.stderr.write(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', () => {
      this.#exited = true;
    });
  }

  /** Starts the emulator on free loopback ports and waits until it accepts invocations. */
  static async start(
    options: RieOptions,
    settings: { timeoutMs: number; functionName: string },
  ): Promise<RieInvoker> {
    const bin = options.rieBin ?? process.env.AWS_LAMBDA_RIE_BIN ?? 'aws-lambda-rie';
    if (!options.handlerFile)
      throw new InvalidTestInputError('rie.handlerFile', 'the path of a built handler file');
    const dir = mkdtempSync(path.join(tmpdir(), 'kafka-lambda-rie-'));
    const bootstrap = path.join(dir, 'bootstrap.mjs');
    writeFileSync(bootstrap, RIE_BOOTSTRAP_SOURCE);
    const [port, runtimePort] = [await freePort(), await freePort()];
    const child = spawn(
      bin,
      [
        '--runtime-interface-emulator-address',
        `${HOST}:${port}`,
        '--runtime-api-address',
        `${HOST}:${runtimePort}`,
        process.execPath,
        bootstrap,
      ],
      {
        cwd: path.dirname(path.resolve(options.handlerFile)),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          AWS_LAMBDA_FUNCTION_TIMEOUT: String(Math.max(1, Math.ceil(settings.timeoutMs / 1000))),
          AWS_LAMBDA_FUNCTION_NAME: settings.functionName,
          KAFKA_LAMBDA_HANDLER_FILE: path.resolve(options.handlerFile),
          KAFKA_LAMBDA_HANDLER_EXPORT: options.exportName ?? 'handler',
          ...options.env,
        },
      },
    );
    const invoker = new RieInvoker(
      `http://${HOST}:${port}${INVOKE_PATH}`,
      child,
      dir,
      options.inheritOutput ?? false,
    );
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const deadline = Date.now() + 15_000;
    for (;;) {
      const failed = await Promise.race([spawnError, delay(50).then(() => undefined)]);
      if (failed) {
        await invoker.close();
        throw new Error(
          `cannot start the Runtime Interface Emulator (${bin}): ${failed.message}; set AWS_LAMBDA_RIE_BIN`,
        );
      }
      if (await portOpen(port)) return invoker;
      if (invoker.#exited || Date.now() > deadline) {
        const output = invoker.#output;
        await invoker.close();
        throw new Error(`the Runtime Interface Emulator did not start (${bin}); its output:\n${output}`);
      }
    }
  }

  async invoke(event: KafkaEvent, timeoutMs: number): Promise<unknown> {
    if (this.#exited) throw new Error(`the Runtime Interface Emulator exited; its output:\n${this.#output}`);
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      // The emulator enforces the function timeout itself; this only guards against a hung emulator.
      signal: AbortSignal.timeout(timeoutMs + 30_000),
    });
    const text = await response.text();
    if (text.startsWith('Task timed out')) throw new InvocationTimeoutError(timeoutMs);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new Error(
        `the emulator answered ${response.status} with a body that is not JSON: ${text.slice(0, 500)}`,
      );
    }
    const functionError = response.headers.get('x-amz-function-error');
    if (functionError || !response.ok || isErrorPayload(body)) {
      const payload = isErrorPayload(body)
        ? body
        : { errorType: functionError ?? `HTTP ${response.status}`, errorMessage: text };
      throw new FunctionError(payload.errorType, payload.errorMessage);
    }
    return body ?? undefined;
  }

  async close(): Promise<void> {
    if (!this.#exited && this.#child.exitCode === null) {
      const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
      this.#child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), delay(3_000).then(() => false)]);
      if (!stopped) {
        this.#child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** The Runtime API's error shape: a Kafka handler's success never has both fields. */
function isErrorPayload(body: unknown): body is { errorType: string; errorMessage: string } {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { errorMessage?: unknown }).errorMessage === 'string' &&
    typeof (body as { errorType?: unknown }).errorType === 'string'
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
