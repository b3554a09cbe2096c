// Issue 23, finding 9: a registry URL with basic-auth user info (`https://key:secret@host`), or the
// `auth` option, never reaches an error: not its message, stack, cause or any own property.
import { SchemaRegistryError, schemaRegistry } from '@kafka-lambda/serdes';
import { describe, expect, it } from 'vitest';
import { everythingIn, rejection } from '../../../../test/support/error-text.js';

const SECRET = 's3cret-Pa55';
const BASIC = Buffer.from(`key:${SECRET}`).toString('base64');

describe('schemaRegistry: credentials never reach an error', () => {
  it.each([
    ['an invalid URL', `https://key:${SECRET}@exa mple.com`],
    ['a malformed %-escape in the password', `http://key:${SECRET}%zz@127.0.0.1:1`],
  ])('%s is a SchemaRegistryError without them', async (_, url) => {
    const error = await rejection(() => schemaRegistry({ url, retries: 0 }).getSchemaById(1));
    expect(error).toBeInstanceOf(SchemaRegistryError);
    expect(everythingIn(error)).not.toContain(SECRET);
  });

  it.each([
    ['in the URL', { url: `http://key:${SECRET}@127.0.0.1:1` }],
    ['in `auth`', { url: 'http://127.0.0.1:1', auth: `key:${SECRET}` }],
  ])('an unreachable registry, credentials %s', async (_, options) => {
    const error = await rejection(() =>
      schemaRegistry({ ...options, retries: 0, timeoutMs: 2_000 }).getSchemaById(1),
    );
    expect((error as Error).name).toBe('RegistryUnavailableError');
    const text = everythingIn(error);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(BASIC);
  });

  it('a fetch that rejects with the request it was given keeps it out of the chain', async () => {
    // undici's errors do not quote the request today; a custom fetch (a proxy, a test double) may.
    const fetch = (async (url: string, init: RequestInit) => {
      throw new TypeError('fetch failed', { cause: { url, headers: init.headers } });
    }) as unknown as typeof globalThis.fetch;
    const error = await rejection(() =>
      schemaRegistry({ url: 'http://registry:8081', auth: `key:${SECRET}`, retries: 0, fetch }).getSchemaById(
        1,
      ),
    );
    expect((error as Error).name).toBe('RegistryUnavailableError');
    expect(everythingIn(error)).not.toContain(BASIC);
  });
});
