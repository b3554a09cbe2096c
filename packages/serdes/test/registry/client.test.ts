import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { schemaRegistry } from '../../src/registry/client.js';
import {
  RegistryAuthError,
  RegistryUnavailableError,
  SchemaNotFoundError,
  type SchemaRegistryError,
} from '../../src/registry/errors.js';
import { FakeRegistry } from '../support/fake-registry.js';

const AVRO = JSON.stringify({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'int' }] });

let fake: FakeRegistry;
beforeEach(async () => {
  fake = await new FakeRegistry().start();
});
afterEach(() => fake.stop());

const fast = () => ({ url: fake.url, backoffMs: 1, timeoutMs: 1000 });

describe('schemaRegistry client', () => {
  it('fetches a schema by id; an absent schemaType means AVRO', async () => {
    const id = fake.add('t-value', AVRO);
    const schema = await schemaRegistry(fake.url).getSchemaById(id);
    expect(schema).toMatchObject({ id, schema: AVRO, schemaType: 'AVRO', references: [] });
    expect(fake.requests).toEqual([`GET /schemas/ids/${id}`]);
  });

  it('caches schemas by id for the life of the client', async () => {
    const id = fake.add('t-value', AVRO);
    const registry = schemaRegistry(fake.url);
    await registry.getSchemaById(id);
    await registry.getSchemaById(id);
    expect(fake.requests).toHaveLength(1);
  });

  it('collapses concurrent requests for the same id into one', async () => {
    const id = fake.add('t-value', AVRO);
    fake.delayMs = 30;
    const registry = schemaRegistry(fake.url);
    const all = await Promise.all(Array.from({ length: 20 }, () => registry.getSchemaById(id)));
    expect(new Set(all).size).toBe(1);
    expect(fake.requests).toHaveLength(1);
  });

  it('sends the registry content type and accept headers', async () => {
    const seen: Array<Record<string, string>> = [];
    const registry = schemaRegistry({
      url: fake.url,
      fetch: (input, init) => {
        seen.push(init?.headers as Record<string, string>);
        return fetch(input, init);
      },
    });
    await registry.register('t-value', { schema: AVRO });
    expect(seen[0]!['content-type']).toBe('application/vnd.schemaregistry.v1+json');
    expect(seen[0]!.accept).toContain('application/vnd.schemaregistry.v1+json');
  });

  it('maps 40403 to SchemaNotFoundError with the id', async () => {
    const error = await schemaRegistry(fake.url)
      .getSchemaById(999)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaNotFoundError);
    expect(error).toMatchObject({ status: 404, errorCode: 40403, ref: { id: 999 } });
    expect((error as Error).message).toContain('GET /schemas/ids/999');
  });

  it('maps 40401 to SchemaNotFoundError with the subject', async () => {
    const error = await schemaRegistry(fake.url)
      .getLatestVersion('nope-value')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemaNotFoundError);
    expect(error).toMatchObject({ errorCode: 40401, ref: { subject: 'nope-value', version: 'latest' } });
  });

  it('does not retry a 404', async () => {
    await schemaRegistry(fast())
      .getSchemaById(5)
      .catch(() => undefined);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries 500 and 429 with backoff, then succeeds', async () => {
    const id = fake.add('t-value', AVRO);
    fake.failures = [{ status: 500 }, { status: 429, retryAfter: '0' }, { status: 503 }];
    const schema = await schemaRegistry(fast()).getSchemaById(id);
    expect(schema.id).toBe(id);
    expect(fake.requests).toHaveLength(4);
  });

  it('gives up after the bounded retries with RegistryUnavailableError and the status', async () => {
    fake.failures = Array.from({ length: 10 }, () => ({ status: 500 }));
    const error = await schemaRegistry({ ...fast(), retries: 2 })
      .getSchemaById(1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(error).toMatchObject({ status: 500 });
    expect((error as Error).message).toContain('after 3 attempts');
    expect(fake.requests).toHaveLength(3);
  });

  it('forgets a failed request so the next call retries', async () => {
    const id = fake.add('t-value', AVRO);
    fake.failures = [{ status: 500 }];
    const registry = schemaRegistry({ ...fast(), retries: 0 });
    await expect(registry.getSchemaById(id)).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(registry.getSchemaById(id)).resolves.toMatchObject({ id });
  });

  it('times out a slow registry with RegistryUnavailableError', async () => {
    fake.add('t-value', AVRO);
    fake.delayMs = 500;
    const started = Date.now();
    const error = await schemaRegistry({ url: fake.url, timeoutMs: 50, retries: 1, backoffMs: 1 })
      .getSchemaById(1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toContain('timed out after 50 ms');
    expect(Date.now() - started).toBeLessThan(450);
    expect(fake.requests).toHaveLength(2);
  });

  it('reports a closed port as RegistryUnavailableError', async () => {
    const port = await freePort();
    const error = await schemaRegistry({ url: `http://127.0.0.1:${port}`, retries: 1, backoffMs: 1 })
      .getSchemaById(1)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect((error as Error).message).toMatch(/network error ECONNREFUSED/);
    expect((error as SchemaRegistryError).status).toBeUndefined();
  });

  it('sends basic auth from key:secret, and never puts the secret in errors', async () => {
    fake.requiredAuth = `Basic ${Buffer.from('KEY:s3cr3t').toString('base64')}`;
    const id = fake.add('t-value', AVRO);
    await expect(
      schemaRegistry({ url: fake.url, auth: 'KEY:s3cr3t' }).getSchemaById(id),
    ).resolves.toMatchObject({ id });
    const error = (await schemaRegistry({ url: fake.url, auth: 'KEY:wrong-secret' })
      .getSchemaById(id)
      .catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect(error).toMatchObject({ status: 401, errorCode: 40101 });
    expect(`${error.message} ${error.stack}`).not.toContain('wrong-secret');
  });

  it('sends basic auth from username/password and from credentials in the URL', async () => {
    fake.requiredAuth = `Basic ${Buffer.from('u:p@ss').toString('base64')}`;
    const id = fake.add('t-value', AVRO);
    await schemaRegistry({ url: fake.url, auth: { username: 'u', password: 'p@ss' } }).getSchemaById(id);
    const withUserInfo = fake.url.replace('http://', 'http://u:p%40ss@');
    await schemaRegistry(withUserInfo).getSchemaById(id);
    expect(fake.authorizations).toEqual([fake.requiredAuth, fake.requiredAuth]);
  });

  it('sends a bearer token', async () => {
    fake.requiredAuth = 'Bearer tok';
    const id = fake.add('t-value', AVRO);
    await expect(
      schemaRegistry({ url: fake.url, auth: { bearerToken: 'tok' } }).getSchemaById(id),
    ).resolves.toBeDefined();
  });

  it('resolves a settings source lazily, and on 401 invalidates it once and retries with fresh settings', async () => {
    const id = fake.add('t-value', AVRO);
    fake.requiredAuth = `Basic ${Buffer.from('k:new').toString('base64')}`;
    let secret = 'old';
    const source = {
      schemaRegistrySettings: vi.fn(async () => ({ url: fake.url, basicAuth: `k:${secret}` })),
      invalidate: vi.fn(() => {
        secret = 'new';
      }),
    };
    const registry = schemaRegistry(source);
    expect(source.schemaRegistrySettings).not.toHaveBeenCalled();
    await expect(registry.getSchemaById(id)).resolves.toMatchObject({ id });
    expect(source.invalidate).toHaveBeenCalledTimes(1);
    expect(source.schemaRegistrySettings).toHaveBeenCalledTimes(2);
  });

  it('fails with RegistryAuthError when fresh settings are still refused (one refresh only)', async () => {
    fake.requiredAuth = 'Bearer never';
    const source = {
      schemaRegistrySettings: async () => ({ url: fake.url, bearerToken: 'x' }),
      invalidate: vi.fn(),
    };
    await expect(schemaRegistry(source).getSchemaById(1)).rejects.toBeInstanceOf(RegistryAuthError);
    expect(source.invalidate).toHaveBeenCalledTimes(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('registers, looks up, and fetches versions', async () => {
    const registry = schemaRegistry(fake.url);
    const { id } = await registry.register('t-value', { schema: AVRO });
    expect(fake.requests).toEqual(['POST /subjects/t-value/versions']);
    const found = await registry.lookup('t-value', { schema: AVRO });
    expect(found).toMatchObject({ id, subject: 't-value', version: 1 });
    await expect(registry.getVersion('t-value', 1)).resolves.toMatchObject({ id, version: 1, schema: AVRO });
    await expect(registry.lookup('t-value', { schema: '"string"' })).rejects.toBeInstanceOf(
      SchemaNotFoundError,
    );
    // lookup and version answers fill the by-id cache
    await registry.getSchemaById(id);
    expect(fake.requests.filter((r) => r.startsWith('GET /schemas/ids'))).toHaveLength(0);
  });

  it('encodes subject names in paths', async () => {
    const registry = schemaRegistry(fake.url);
    await registry.register('a/b c', { schema: AVRO });
    await registry.getLatestVersion('a/b c');
    expect(fake.requests).toEqual(['POST /subjects/a/b c/versions', 'GET /subjects/a/b c/versions/latest']);
  });

  it('caches the latest version for latestTtlMs', async () => {
    fake.add('t-value', AVRO);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const registry = schemaRegistry({ url: fake.url, latestTtlMs: 1000 });
      await registry.getLatestVersion('t-value');
      await registry.getLatestVersion('t-value');
      expect(fake.requests).toHaveLength(1);
      const v2 = JSON.stringify({
        type: 'record',
        name: 'T',
        fields: [{ name: 'b', type: 'int', default: 0 }],
      });
      fake.add('t-value', v2);
      vi.setSystemTime(Date.now() + 1001);
      await expect(registry.getLatestVersion('t-value')).resolves.toMatchObject({ version: 2, schema: v2 });
      expect(fake.requests).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('resolves references recursively, dependencies first, via subject versions', async () => {
    const registry = schemaRegistry(fake.url);
    fake.add('leaf', 'LEAF', 'PROTOBUF');
    fake.add('mid', 'MID', 'PROTOBUF', [{ name: 'leaf.proto', subject: 'leaf', version: 1 }]);
    const refs = await registry.resolveReferences({
      references: [
        { name: 'mid.proto', subject: 'mid', version: 1 },
        { name: 'leaf.proto', subject: 'leaf', version: 1 },
      ],
    });
    expect(refs.map((r) => [r.name, r.schema.schema])).toEqual([
      ['leaf.proto', 'LEAF'],
      ['mid.proto', 'MID'],
    ]);
    expect(fake.requests).toEqual(['GET /subjects/mid/versions/1', 'GET /subjects/leaf/versions/1']);
  });

  it('fetches by GUID', async () => {
    const id = fake.add('t-value', AVRO);
    const guid = fake.byId(id)!.guid;
    await expect(schemaRegistry(fake.url).getSchemaByGuid(guid)).resolves.toMatchObject({
      guid,
      schema: AVRO,
    });
    expect(fake.requests).toEqual([`GET /schemas/guids/${guid}`]);
  });

  it('rejects an invalid configuration early', () => {
    expect(() => schemaRegistry({} as never)).toThrow(TypeError);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
