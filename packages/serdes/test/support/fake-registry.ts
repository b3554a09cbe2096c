import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Stored {
  id: number;
  guid: string;
  schema: string;
  schemaType?: string;
  references?: Array<{ name: string; subject: string; version: number }>;
}

/**
 * An in-memory Confluent-compatible registry on 127.0.0.1, with knobs to misbehave: queued error
 * statuses, a delay, a required Authorization header. Every request is logged.
 */
export class FakeRegistry {
  readonly requests: string[] = [];
  readonly authorizations: Array<string | undefined> = [];
  /** Statuses to answer (in order) before behaving normally. */
  failures: Array<{ status: number; retryAfter?: string; body?: unknown }> = [];
  delayMs = 0;
  /** When set, any other Authorization header gets a 401. */
  requiredAuth: string | undefined;
  /** Whether to include `schemaType` for AVRO (Confluent omits it). */
  readonly schemas: Stored[] = [];
  readonly subjects = new Map<string, number[]>();
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  /** Registers directly (no request logged); returns the id. */
  add(subject: string, schema: string, schemaType?: string, references?: Stored['references']): number {
    const existing = this.schemas.find(
      (s) => s.schema === schema && (s.schemaType ?? 'AVRO') === (schemaType ?? 'AVRO'),
    );
    const stored: Stored = existing ?? { id: this.schemas.length + 1, guid: randomUUID(), schema };
    if (!existing) {
      if (schemaType && schemaType !== 'AVRO') stored.schemaType = schemaType;
      if (references?.length) stored.references = references;
      this.schemas.push(stored);
    }
    const versions = this.subjects.get(subject) ?? [];
    if (!versions.includes(stored.id)) versions.push(stored.id);
    this.subjects.set(subject, versions);
    return stored.id;
  }

  byId(id: number): Stored | undefined {
    return this.schemas.find((s) => s.id === id);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const raw = req.url ?? '';
    const path = decodeURIComponent(raw);
    this.requests.push(`${req.method} ${path}`);
    this.authorizations.push(req.headers.authorization);
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (res.destroyed) return;
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json', ...headers });
      res.end(JSON.stringify(payload));
    };
    const failure = this.failures.shift();
    if (failure) {
      send(
        failure.status,
        failure.body ?? { error_code: failure.status * 100, message: 'injected' },
        failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
      );
      return;
    }
    if (this.requiredAuth !== undefined && req.headers.authorization !== this.requiredAuth) {
      send(401, { error_code: 40101, message: 'Unauthorized' });
      return;
    }
    const view = (s: Stored, extra: Record<string, unknown> = {}) => ({
      ...extra,
      id: s.id,
      guid: s.guid,
      schema: s.schema,
      ...(s.schemaType ? { schemaType: s.schemaType } : {}),
      ...(s.references ? { references: s.references } : {}),
    });
    let match: RegExpMatchArray | null;
    if (req.method === 'GET' && (match = path.match(/^\/schemas\/ids\/(\d+)$/))) {
      const s = this.byId(Number(match[1]));
      return s ? send(200, view(s)) : send(404, { error_code: 40403, message: 'Schema not found' });
    }
    if (req.method === 'GET' && (match = path.match(/^\/schemas\/guids\/([^/]+)$/))) {
      const s = this.schemas.find((x) => x.guid === match![1]);
      return s ? send(200, view(s)) : send(404, { error_code: 40403, message: 'Schema not found' });
    }
    if (req.method === 'GET' && (match = path.match(/^\/subjects\/(.+)\/versions\/(latest|\d+)$/))) {
      const versions = this.subjects.get(match[1]!);
      if (!versions) return send(404, { error_code: 40401, message: 'Subject not found' });
      const version = match[2] === 'latest' ? versions.length : Number(match[2]);
      const id = versions[version - 1];
      if (id === undefined) return send(404, { error_code: 40402, message: 'Version not found' });
      return send(200, view(this.byId(id)!, { subject: match[1], version }));
    }
    if (req.method === 'POST' && (match = path.match(/^\/subjects\/(.+)\/versions$/))) {
      const parsed = JSON.parse(body) as {
        schema: string;
        schemaType?: string;
        references?: Stored['references'];
      };
      const id = this.add(match[1]!, parsed.schema, parsed.schemaType, parsed.references);
      return send(200, { id });
    }
    if (req.method === 'POST' && (match = raw.match(/^\/subjects\/([^/]+)$/))) {
      match[1] = decodeURIComponent(match[1]!);
      const parsed = JSON.parse(body) as { schema: string; schemaType?: string };
      const versions = this.subjects.get(match[1]!);
      if (!versions) return send(404, { error_code: 40401, message: 'Subject not found' });
      const index = versions.findIndex((id) => this.byId(id)!.schema === parsed.schema);
      if (index < 0) return send(404, { error_code: 40403, message: 'Schema not found' });
      return send(200, view(this.byId(versions[index]!)!, { subject: match[1], version: index + 1 }));
    }
    send(404, { error_code: 404, message: 'no route' });
  }
}
