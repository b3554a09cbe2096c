import type { SchemaRegistrySettings, SchemaRegistrySettingsSource } from '@kafka-lambda/core/config';
import { PromiseCache } from './cache.js';
import {
  IncompatibleSchemaError,
  InvalidSchemaError,
  RegistryAuthError,
  RegistryUnavailableError,
  SchemaNotFoundError,
  SchemaRegistryError,
} from './errors.js';
import { secretsOf, withoutSecrets } from './redact.js';
import type {
  RegisteredSchema,
  ResolvedReference,
  SchemaDefinition,
  SchemaReference,
  SchemaType,
  SubjectVersion,
} from './types.js';

/** Credentials for the registry: basic auth as an object or Confluent Cloud's `key:secret`, or a bearer token. */
export type SchemaRegistryAuth = { username: string; password: string } | { bearerToken: string } | string;

/** Plain options for `schemaRegistry()`. */
export interface SchemaRegistryOptions {
  /** Base URL, e.g. `https://psrc-xxxx.aws.confluent.cloud` or `http://localhost:8081/apis/ccompat/v7`. */
  url: string;
  auth?: SchemaRegistryAuth;
  /** Per-attempt timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt on network errors, timeouts, 5xx and 429. Default 3. */
  retries?: number;
  /** Base of the exponential backoff (full jitter, capped at 2 s). Default 100 ms. */
  backoffMs?: number;
  /** How long `getLatestVersion` answers from cache. Default 60 000 ms. */
  latestTtlMs?: number;
  /** A `fetch` implementation; default the global one. Handy to count or trace requests. */
  fetch?: typeof fetch;
}

/** Either plain options or a settings source (e.g. core's `secretsConfig()`), plus tuning options. */
export type SchemaRegistryConfig =
  | string
  | SchemaRegistryOptions
  | (SchemaRegistrySettingsSource & Partial<Omit<SchemaRegistryOptions, 'url' | 'auth'>>);

/**
 * A Confluent-compatible Schema Registry client. Schemas by id (and GUID, and subject version) are
 * cached for the life of the container because they are immutable; `getLatestVersion` is cached for
 * `latestTtlMs`. Concurrent requests for the same key share one HTTP request.
 *
 * @example
 * ```ts
 * const registry: SchemaRegistry = schemaRegistry('http://localhost:8081');
 * const { id } = await registry.register('trades-value', { schema: '"string"' });
 * ```
 */
export interface SchemaRegistry {
  /** How long latest versions are cached; serializers with `useLatest` keep their choice as long. */
  readonly latestTtlMs: number;
  /** `GET /schemas/ids/{id}`. */
  getSchemaById(id: number): Promise<RegisteredSchema>;
  /** `GET /schemas/guids/{guid}` (Confluent header mode). */
  getSchemaByGuid(guid: string): Promise<RegisteredSchema>;
  /** `GET /subjects/{subject}/versions/latest`, cached for `latestTtlMs`. */
  getLatestVersion(subject: string): Promise<SubjectVersion>;
  /** `GET /subjects/{subject}/versions/{version}`. */
  getVersion(subject: string, version: number): Promise<SubjectVersion>;
  /** `POST /subjects/{subject}`: the id and version of a schema already registered under the subject. */
  lookup(subject: string, schema: SchemaDefinition): Promise<SubjectVersion>;
  /** `POST /subjects/{subject}/versions`: registers (idempotent) and returns the id. */
  register(subject: string, schema: SchemaDefinition): Promise<{ id: number; guid?: string }>;
  /** The schema's references, transitively, dependencies first, each name once. */
  resolveReferences(schema: Pick<SchemaDefinition, 'references'>): Promise<ResolvedReference[]>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const MAX_BACKOFF_MS = 2000;

/**
 * Creates a registry client. Nothing happens until the first request: settings from a source are
 * resolved then, and on a 401/403 the source is invalidated once and the request retried with fresh settings.
 *
 * @example
 * ```ts
 * const registry = schemaRegistry({ url: 'https://psrc-123.aws.confluent.cloud', auth: process.env.SR_KEY_SECRET });
 * const { schema } = await registry.getSchemaById(100001);
 * ```
 */
export function schemaRegistry(config: SchemaRegistryConfig): SchemaRegistry {
  return new SchemaRegistryClient(typeof config === 'string' ? { url: config } : config);
}

interface ResolvedSettings {
  readonly base: string;
  readonly authorization: string | undefined;
  /** What no error may carry (see redact.ts). */
  readonly secrets: readonly string[];
}

class SchemaRegistryClient implements SchemaRegistry {
  readonly latestTtlMs: number;
  readonly #source: SchemaRegistrySettingsSource | undefined;
  readonly #options: Partial<SchemaRegistryOptions>;
  readonly #fetch: typeof fetch;
  #settings: Promise<ResolvedSettings> | undefined;

  readonly #byId = new PromiseCache<number, RegisteredSchema>();
  readonly #byGuid = new PromiseCache<string, RegisteredSchema>();
  readonly #versions = new PromiseCache<string, SubjectVersion>();
  readonly #latest: PromiseCache<string, SubjectVersion>;
  readonly #registered = new PromiseCache<string, { id: number; guid?: string }>();
  readonly #lookups = new PromiseCache<string, SubjectVersion>();

  constructor(
    config: SchemaRegistryOptions | (SchemaRegistrySettingsSource & Partial<SchemaRegistryOptions>),
  ) {
    this.#options = config;
    if (typeof (config as SchemaRegistrySettingsSource).schemaRegistrySettings === 'function') {
      this.#source = config as SchemaRegistrySettingsSource;
    } else if (typeof (config as SchemaRegistryOptions).url !== 'string') {
      throw new TypeError('schemaRegistry: expected { url } or a SchemaRegistrySettingsSource');
    }
    this.#fetch = config.fetch ?? ((...args) => globalThis.fetch(...args));
    this.latestTtlMs = config.latestTtlMs ?? 60_000;
    this.#latest = new PromiseCache(this.latestTtlMs);
  }

  getSchemaById(id: number): Promise<RegisteredSchema> {
    return this.#byId.get(id, async () => {
      const body = await this.#request<SchemaBody>('GET', `/schemas/ids/${id}`, undefined, { id });
      return toRegistered({ ...body, id });
    });
  }

  getSchemaByGuid(guid: string): Promise<RegisteredSchema> {
    return this.#byGuid.get(guid, async () => {
      const body = await this.#request<SchemaBody>(
        'GET',
        `/schemas/guids/${encodeURIComponent(guid)}`,
        undefined,
        {
          guid,
        },
      );
      return toRegistered({ ...body, guid });
    });
  }

  getLatestVersion(subject: string): Promise<SubjectVersion> {
    return this.#latest.get(subject, () => this.#fetchVersion(subject, 'latest'));
  }

  getVersion(subject: string, version: number): Promise<SubjectVersion> {
    return this.#versions.get(`${version}@${subject}`, () => this.#fetchVersion(subject, version));
  }

  lookup(subject: string, schema: SchemaDefinition): Promise<SubjectVersion> {
    const body = requestBody(schema);
    return this.#lookups.get(`${subject}\u0000${body}`, async () => {
      const answer = await this.#request<SchemaBody>(
        'POST',
        `/subjects/${encodeURIComponent(subject)}`,
        body,
        {
          subject,
        },
      );
      const found = toSubjectVersion({ ...schema, ...answer, subject: answer.subject ?? subject });
      this.#byId.set(found.id, found);
      return found;
    });
  }

  register(subject: string, schema: SchemaDefinition): Promise<{ id: number; guid?: string }> {
    const body = requestBody(schema);
    return this.#registered.get(`${subject}\u0000${body}`, async () => {
      const answer = await this.#request<{ id: number; guid?: string }>(
        'POST',
        `/subjects/${encodeURIComponent(subject)}/versions`,
        body,
        { subject },
      );
      if (typeof answer.id !== 'number')
        throw new SchemaRegistryError(`POST /subjects/…/versions: no id in the answer`);
      return answer.guid ? { id: answer.id, guid: answer.guid } : { id: answer.id };
    });
  }

  async resolveReferences(schema: Pick<SchemaDefinition, 'references'>): Promise<ResolvedReference[]> {
    const out: ResolvedReference[] = [];
    const seen = new Set<string>();
    const visit = async (refs: readonly SchemaReference[], depth: number): Promise<void> => {
      if (depth > 32)
        throw new SchemaRegistryError('schema references nest deeper than 32 levels (a cycle?)');
      for (const ref of refs) {
        if (seen.has(ref.name)) continue;
        seen.add(ref.name);
        const resolved = await this.getVersion(ref.subject, ref.version);
        await visit(resolved.references, depth + 1);
        out.push({ name: ref.name, schema: resolved });
      }
    };
    await visit(schema.references ?? [], 0);
    return out;
  }

  async #fetchVersion(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    const body = await this.#request<SchemaBody>(
      'GET',
      `/subjects/${encodeURIComponent(subject)}/versions/${version}`,
      undefined,
      { subject, version },
    );
    const found = toSubjectVersion({ ...body, subject: body.subject ?? subject });
    this.#byId.set(found.id, found);
    return found;
  }

  #resolveSettings(): Promise<ResolvedSettings> {
    if (!this.#settings) {
      const source = this.#source;
      const loaded: Promise<SchemaRegistrySettings> = source
        ? source.schemaRegistrySettings()
        : Promise.resolve(fromOptions(this.#options as SchemaRegistryOptions));
      this.#settings = loaded.then(normalizeSettings);
      this.#settings.catch(() => {
        this.#settings = undefined;
      });
    }
    return this.#settings;
  }

  async #request<T>(
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    ref: SchemaNotFoundError['ref'],
  ): Promise<T> {
    const what = `${method} ${path}`;
    const retries = Math.max(0, this.#options.retries ?? 3);
    const timeoutMs = this.#options.timeoutMs ?? 5000;
    let settings = await this.#resolveSettings();
    let refreshedAuth = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: `${CONTENT_TYPE}, application/json` };
      if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
      if (settings.authorization) headers.authorization = settings.authorization;
      let response: Response | undefined;
      let unreachable: { cause: unknown } | undefined;
      try {
        response = await this.#fetch(settings.base + path, {
          method,
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok) return (await response.json()) as T;
      } catch (cause) {
        // A body that is not JSON is the registry's answer; a network error or timeout (while
        // connecting or reading the body) is worth another attempt.
        if (response?.ok && !isTimeout(cause)) {
          throw new SchemaRegistryError(`${what}: the answer is not JSON`, response.status, undefined, {
            cause: withoutSecrets(cause, settings.secrets),
          });
        }
        unreachable = { cause: withoutSecrets(cause, settings.secrets) };
      }
      if (unreachable || !response) {
        if (attempt < retries) {
          await this.#backoff(attempt);
          continue;
        }
        const cause = unreachable?.cause;
        throw new RegistryUnavailableError(
          `${what}: ${describeNetworkError(cause, timeoutMs)}`,
          undefined,
          undefined,
          {
            cause,
          },
        );
      }
      const error = await readError(response);
      const status = response.status;
      const detail = `${what} answered ${status}${error.code ? ` (error ${error.code})` : ''}${error.message ? `: ${error.message}` : ''}`;
      if (status === 401 || status === 403) {
        if (!refreshedAuth && this.#source?.invalidate) {
          refreshedAuth = true;
          this.#source.invalidate();
          this.#settings = undefined;
          settings = await this.#resolveSettings();
          attempt--; // an auth refresh is not a retry
          continue;
        }
        throw new RegistryAuthError(detail, status, error.code);
      }
      if (status >= 500 || status === 429) {
        if (attempt < retries) {
          await this.#backoff(attempt, response.headers.get('retry-after'));
          continue;
        }
        throw new RegistryUnavailableError(`${detail} (after ${attempt + 1} attempts)`, status, error.code);
      }
      if (status === 404) throw new SchemaNotFoundError(detail, ref, status, error.code);
      if (status === 409) throw new IncompatibleSchemaError(detail, status, error.code);
      if (status === 422) throw new InvalidSchemaError(detail, status, error.code);
      throw new SchemaRegistryError(detail, status, error.code);
    }
  }

  #backoff(attempt: number, retryAfter?: string | null): Promise<void> {
    const base = this.#options.backoffMs ?? 100;
    let delay = Math.random() * Math.min(MAX_BACKOFF_MS, base * 2 ** attempt);
    const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
    if (Number.isFinite(seconds) && seconds >= 0) delay = Math.min(MAX_BACKOFF_MS, seconds * 1000);
    return new Promise((resolve) => setTimeout(resolve, delay));
  }
}

interface SchemaBody {
  id?: number;
  guid?: string;
  subject?: string;
  version?: number;
  schema: string;
  schemaType?: SchemaType;
  references?: readonly SchemaReference[];
}

function toRegistered(body: SchemaBody): RegisteredSchema {
  if (typeof body.schema !== 'string')
    throw new SchemaRegistryError('the registry answered without a schema');
  const out: { -readonly [K in keyof RegisteredSchema]: RegisteredSchema[K] } = {
    id: body.id as number,
    schema: body.schema,
    schemaType: body.schemaType ?? 'AVRO',
    references: body.references ?? [],
  };
  if (body.guid) out.guid = body.guid;
  return out;
}

function toSubjectVersion(body: SchemaBody): SubjectVersion {
  if (typeof body.id !== 'number') throw new SchemaRegistryError('the registry answered without a schema id');
  return { ...toRegistered(body), subject: body.subject as string, version: body.version as number };
}

function requestBody(schema: SchemaDefinition): string {
  const body: Record<string, unknown> = { schema: schema.schema };
  // Omitted for AVRO: older registries reject the field.
  if (schema.schemaType && schema.schemaType !== 'AVRO') body.schemaType = schema.schemaType;
  if (schema.references?.length) body.references = schema.references;
  return JSON.stringify(body);
}

function fromOptions(options: SchemaRegistryOptions): SchemaRegistrySettings {
  const auth = options.auth;
  if (auth === undefined) return { url: options.url };
  if (typeof auth === 'string') return { url: options.url, basicAuth: auth };
  if ('bearerToken' in auth) return { url: options.url, bearerToken: auth.bearerToken };
  return { url: options.url, basicAuth: `${auth.username}:${auth.password}` };
}

function normalizeSettings(settings: SchemaRegistrySettings): ResolvedSettings {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    // The URL may embed credentials: do not echo it.
    throw new SchemaRegistryError('invalid schema registry URL');
  }
  let basic = settings.basicAuth;
  const password = url.password;
  // fetch refuses URLs with user info; move it to the header.
  if (url.username || url.password) {
    try {
      basic ??= `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw new SchemaRegistryError(
        "the schema registry URL's user or password has a malformed %-escape (percent-encode a literal % as %25)",
      );
    }
    url.username = '';
    url.password = '';
  }
  const authorization = settings.bearerToken
    ? `Bearer ${settings.bearerToken}`
    : basic
      ? `Basic ${Buffer.from(basic, 'utf8').toString('base64')}`
      : undefined;
  const secrets = secretsOf([
    password,
    basic,
    basic?.split(':').slice(1).join(':'),
    settings.bearerToken,
    authorization,
  ]);
  return { base: url.toString().replace(/\/+$/, ''), authorization, secrets };
}

async function readError(response: Response): Promise<{ code?: number; message?: string }> {
  try {
    const text = await response.text();
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    const out: { code?: number; message?: string } = {};
    if (typeof parsed.error_code === 'number') out.code = parsed.error_code;
    if (typeof parsed.message === 'string') out.message = parsed.message.slice(0, 300);
    return out;
  } catch {
    return {};
  }
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (isTimeout(error)) return `timed out after ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const code = cause?.code ?? (error as { code?: string } | null)?.code;
  return `network error${code ? ` ${code}` : ''}: ${(cause?.message ?? (error as Error)?.message ?? String(error)).slice(0, 200)}`;
}
