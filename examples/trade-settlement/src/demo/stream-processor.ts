import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain ESM script without types
import { buildStreamsApp } from '../../../../scripts/stack/streams.mjs';

/** One status line of the Kafka Streams topology (streams/TradeSettlementPipeline.java). */
export interface StreamStatus {
  state: string;
  /** Trades joined with users and written to user_trades. */
  joined: number;
  /** Records the topology could not deserialize and skipped (ksqlDB's processing log). */
  skipped: number;
  /** Settlements read from trade-settlements through the registry. */
  settlementsRead: number;
  tables: Record<string, Array<Record<string, string | number>>>;
}

const sources = fileURLToPath(new URL('../../streams/', import.meta.url));

/**
 * Builds (once, cached) and starts the stateful half in one embedded Kafka Streams JVM. Topic names
 * are the pipeline's plus `suffix`. The JVM's stderr (skipped records, errors) goes to `logFile`.
 */
export async function startStreamProcessor({
  brokers,
  registryUrl,
  applicationId,
  suffix = '',
  logFile,
}: {
  brokers: string;
  registryUrl: string;
  applicationId: string;
  suffix?: string;
  logFile: string;
}) {
  const app = (await buildStreamsApp(sources, { quiet: false })) as {
    classpath: string;
    protoc: string;
    java: string;
  };
  const stateDir = mkdtempSync(join(tmpdir(), 'kafka-streams-'));
  const child: ChildProcess = spawn(
    app.java,
    [
      '-Xmx256m',
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      app.classpath,
      'settlement.TradeSettlementPipeline',
      `--bootstrap=${brokers}`,
      `--registry=${registryUrl}`,
      `--protoc=${app.protoc}`,
      `--application-id=${applicationId}`,
      `--state-dir=${stateDir}`,
      `--suffix=${suffix}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = createWriteStream(logFile);
  child.stderr!.pipe(log);
  let latest: StreamStatus = { state: 'STARTING', joined: 0, skipped: 0, settlementsRead: 0, tables: {} };
  let exit: string | undefined;
  let stopping = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      latest = JSON.parse(line) as StreamStatus;
    } catch {
      log.write(`${line}\n`);
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = `exited with ${signal ?? code}`;
      resolve();
    }),
  );
  const failed = exited.then(() => {
    if (stopping) return;
    throw new Error(`the stream processor ${exit}: see ${logFile}`);
  });
  failed.catch(() => undefined);
  return {
    /** Rejects when the JVM ends before stop(): race a long wait with it. */
    failed,
    get status() {
      return latest;
    },
    /** Resolves once `predicate` holds on a status line; rejects when the JVM ends or on timeout. */
    async waitFor(predicate: (status: StreamStatus) => boolean, timeoutMs: number): Promise<StreamStatus> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (predicate(latest)) return latest;
        if (exit) throw new Error(`the stream processor ${exit}: see ${logFile}`);
        if (Date.now() > deadline)
          throw new Error(
            `the stream processor did not get there in ${timeoutMs} ms (${JSON.stringify({ ...latest, tables: undefined })}); see ${logFile}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async stop(): Promise<void> {
      stopping = true;
      if (!exit) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
      log.end();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
