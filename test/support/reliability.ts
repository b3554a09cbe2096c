// Helpers of the reliability suite (test/reliability): events, a capturing logger, secret scanning,
// and an HTTP fault proxy to put in front of the registry or the Secrets Manager emulator.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import type { LambdaContext } from '@kafka-lambda/core';
import type { KafkaEvent, KafkaEventRecord } from '@kafka-lambda/core/events';
import type { Instrumentation } from '@kafka-lambda/core/middleware';
import { lambdaContext as testingLambdaContext } from '@kafka-lambda/testing';
import {
  type CapturedLogger,
  captureLogger,
  errorText,
} from '../../packages/core/test/support/capture-logger.js';
import { readTopic } from './kafka.js';

// --- events ----------------------------------------------------------------------------------

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** One ESM record whose value is `{"id": id}` (plus `fail: true` when asked), key `k-<id>`. */
export function tradeRecord(
  topic: string,
  partition: number,
  offset: number,
  id: number,
  extra: Record<string, unknown> = {},
): KafkaEventRecord {
  return {
    topic,
    partition,
    offset,
    timestamp: 1_700_000_000_000 + offset,
    timestampType: 'CREATE_TIME',
    key: b64(`k-${id}`),
    value: b64(JSON.stringify({ id, ...extra })),
    headers: [{ 'trace-id': [...Buffer.from(`t-${id}`)] }],
  };
}

/** `count` records of one partition, offsets from `from`, ids `idBase + offset`. */
export function tradeRecords(
  topic: string,
  partition: number,
  count: number,
  {
    from = 0,
    idBase = 0,
    failing = new Set<number>(),
  }: { from?: number; idBase?: number; failing?: Set<number> } = {},
): KafkaEventRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const offset = from + i;
    return tradeRecord(topic, partition, offset, idBase + offset, failing.has(offset) ? { fail: true } : {});
  });
}

export function rawRecord(
  topic: string,
  partition: number,
  offset: number,
  value: Buffer | null,
  headers: Array<Record<string, number[]>> = [],
): KafkaEventRecord {
  return {
    topic,
    partition,
    offset,
    timestamp: 1_700_000_000_000 + offset,
    timestampType: 'CREATE_TIME',
    key: b64(`k-${offset}`),
    value: value === null ? null : value.toString('base64'),
    headers,
  };
}

export function kafkaEvent(records: KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) (grouped[`${record.topic}-${record.partition}`] ??= []).push(record);
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/reliability/abcd-1',
    bootstrapServers: 'b-1.reliability:9092',
    records: grouped,
  };
}

/** A Lambda context whose deadline is `remainingMs` from now. */
export function lambdaContext(remainingMs = 60_000): LambdaContext {
  return testingLambdaContext({ timeoutMs: remainingMs, functionName: 'reliability-fn' });
}

// --- logs, errors and secrets ----------------------------------------------------------------

// The project's one capturing logger (core's test support): `text()` renders errors in full.
export { captureLogger };

/**
 * Collects every log line and error text a test file produced, to check at the end that none of the
 * secret values used appears in them.
 */
export class SecretAudit {
  readonly #secrets = new Set<string>();
  readonly #texts: Array<{ where: string; text: string }> = [];

  secret(value: string): string {
    if (value.length < 6) throw new Error('use secret values of at least 6 characters, to search for them');
    this.#secrets.add(value);
    return value;
  }

  record(where: string, text: string): void {
    this.#texts.push({ where, text });
  }

  error(where: string, error: unknown): void {
    this.record(where, errorText(error));
  }

  logger(where: string): CapturedLogger {
    const logger = captureLogger();
    this.#texts.push({
      where,
      get text() {
        return logger.text();
      },
    });
    return logger;
  }

  /** `{ where, secret }` for each leak found (empty when clean). */
  leaks(): Array<{ where: string; secret: string }> {
    const found: Array<{ where: string; secret: string }> = [];
    for (const { where, text } of this.#texts)
      for (const secret of this.#secrets) {
        const forms = [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)];
        if (forms.some((form) => text.includes(form)))
          found.push({ where, secret: `${secret.slice(0, 3)}…` });
      }
    return found;
  }

  get size(): { texts: number; secrets: number } {
    return { texts: this.#texts.length, secrets: this.#secrets.size };
  }
}

// --- reading results back ----------------------------------------------------------------------

/** The values of a topic as strings (reads until `count` arrived or the timeout, then settles). */
export async function topicValues(
  topic: string,
  count: number,
  opts: { brokers?: string; timeoutMs?: number; settleMs?: number } = {},
): Promise<string[]> {
  const messages = await readTopic(topic, count, { timeoutMs: 20_000, settleMs: 300, ...opts });
  return messages.map((m) => m.value?.toString('utf8') ?? '<null>');
}

/** Sorted distinct values and how many copies each had. */
export function tally(values: string[]): {
  distinct: string[];
  maxCopies: number;
  copies: Map<string, number>;
} {
  const copies = new Map<string, number>();
  for (const value of values) copies.set(value, (copies.get(value) ?? 0) + 1);
  return {
    distinct: [...copies.keys()].sort(),
    maxCopies: Math.max(0, ...copies.values()),
    copies,
  };
}

export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

// --- an HTTP fault proxy -------------------------------------------------------------------------

/** What the proxy does with a request. */
export type ProxyAction =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' };

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  /** Requests seen (method and path), in order. */
  readonly requests: string[];
  /** Decide per request; `pass` forwards it to the target. */
  rule: (req: { method: string; path: string }) => ProxyAction;
  /** Stop listening and drop every connection: clients get ECONNREFUSED. */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback HTTP proxy in front of `target` (e.g. the registry on :8081) that can fail on demand. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let server: Server | undefined;
  let port = 0;
  const proxy: FaultProxy = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    requests,
    rule: () => ({ kind: 'pass' }),
    async down() {
      if (!server) return;
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    async up() {
      if (server) return;
      server = createServer((req, res) => handle(req, res));
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
      port = (server.address() as AddressInfo).port;
    },
    async close() {
      await proxy.down();
    },
  };

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: `${to.hostname}:${to.port}` },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.destroy();
    });
    upstream.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push(`${req.method} ${path}`);
      const action = proxy.rule({ method: req.method ?? 'GET', path });
      const body = Buffer.concat(chunks);
      switch (action.kind) {
        case 'pass':
          return forward(req, res, body);
        case 'reset':
          return void req.socket.destroy();
        case 'delay': {
          const timer = setTimeout(() => forward(req, res, body), action.ms);
          res.once('close', () => clearTimeout(timer));
          return;
        }
        case 'status': {
          const payload = action.body === undefined ? '' : JSON.stringify(action.body);
          res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
          res.end(payload);
        }
      }
    });
  }

  await proxy.up();
  return proxy;
}

// --- back-pressure ---------------------------------------------------------------------------------

/**
 * An instrumentation that samples the producer's JavaScript backlog as each record ends: `max` is
 * the most messages it ever held for want of room in librdkafka's queue.
 */
export function backlogWatch(producer: { readonly backlog?: number }): {
  readonly instrumentation: Instrumentation;
  readonly max: number;
} {
  let max = 0;
  const observer = { recordEnd: () => void (max = Math.max(max, producer.backlog ?? 0)) };
  return {
    instrumentation: { name: 'observer', startBatch: () => observer },
    get max() {
      return max;
    },
  };
}

/** A TCP listener that accepts and never answers: a broker frozen mid-handshake, a black-holed route. */
export async function blackHole(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
