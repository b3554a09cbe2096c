import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';

/** Subjects unique to this run: the registry is shared and outlives the tests. */
export function uniqueTopic(name: string): string {
  return `serdes-${name}-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
}

/** A loopback proxy to the registry that waits `delayMs` before forwarding, and counts requests. */
export async function delayingProxy(
  target: string,
  delayMs: number,
): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  const base = new URL(target);
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    setTimeout(() => {
      const upstream = request(
        {
          host: base.hostname,
          port: base.port,
          method: req.method,
          path: `${base.pathname.replace(/\/$/, '')}${req.url}`,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A server that always answers `status`. */
export async function failingServer(
  status: number,
): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server = createServer((_req, res) => {
    count++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error_code: status * 100, message: 'injected failure' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
