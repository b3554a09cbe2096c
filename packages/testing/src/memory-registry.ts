import { randomUUID } from 'node:crypto';
import {
  IncompatibleSchemaError,
  type RegisteredSchema,
  RegistryUnavailableError,
  type ResolvedReference,
  type SchemaDefinition,
  SchemaNotFoundError,
  type SchemaReference,
  type SchemaRegistry,
  SchemaRegistryError,
  type SchemaType,
  type SubjectVersion,
} from '@kafka-lambda/serdes/registry';
import { InvalidTestInputError } from './errors.js';

/** Options of {@link memorySchemaRegistry}. */
export interface MemorySchemaRegistryOptions {
  /** Id given to the first schema; later ones count up. Default 1. */
  firstId?: number;
  /**
   * Reported as `latestTtlMs`: how long serializers with `useLatest` keep the latest version they saw.
   * Default 0, so a version a test registers is used at once.
   */
  latestTtlMs?: number;
  /** Give schemas GUIDs (as Confluent's newer registries do) for header-mode ids. Default true. */
  guids?: boolean;
  /**
   * Decides whether `candidate` may be registered under a subject whose versions are `previous`
   * (oldest first). Default: everything is compatible.
   */
  compatibility?: (
    subject: string,
    candidate: SchemaDefinition,
    previous: readonly SubjectVersion[],
  ) => boolean;
}

/** Calls per method, so a test can prove a serde caches what it fetched. */
export type RegistryCallCounts = Record<
  | 'getSchemaById'
  | 'getSchemaByGuid'
  | 'getLatestVersion'
  | 'getVersion'
  | 'lookup'
  | 'register'
  | 'resolveReferences',
  number
>;

interface StoredSchema extends RegisteredSchema {
  readonly key: string;
}

/**
 * A Schema Registry in memory implementing serdes' `SchemaRegistry` client interface, so `avro(registry)`,
 * `protobuf(registry, …)` and `jsonSchema(registry)` run against it unchanged. Like Confluent's registry,
 * one schema has one id whatever the subject, registering is idempotent, and unknown ids, subjects and
 * versions fail with serdes' `SchemaNotFoundError`.
 *
 * @example
 * ```ts
 * import { avro } from '@kafka-lambda/serdes';
 * import { encodeRecord, mskEvent } from '@kafka-lambda/testing';
 * import { memorySchemaRegistry } from '@kafka-lambda/testing/registry';
 *
 * const registry = memorySchemaRegistry();
 * const schema = { type: 'record', name: 'Trade', fields: [{ name: 'symbol', type: 'string' }] };
 * const serde = avro<{ symbol: string }>(registry, { schema, autoRegister: true });
 * const event = mskEvent([await encodeRecord({ topic: 'trades', value: { symbol: 'AAPL' }, valueSerializer: serde })]);
 * console.log(registry.subjects()); // ['trades-value']
 * ```
 */
export function memorySchemaRegistry(options: MemorySchemaRegistryOptions = {}): MemorySchemaRegistry {
  return new MemorySchemaRegistry(options);
}

/**
 * See {@link memorySchemaRegistry}.
 *
 * @example
 * ```ts
 * const registry = new MemorySchemaRegistry({ firstId: 100_000 });
 * const { id } = registry.add('orders-value', '"string"');
 * console.log(id, registry.calls.getSchemaById); // 100000 0
 * ```
 */
export class MemorySchemaRegistry implements SchemaRegistry {
  readonly latestTtlMs: number;
  /** Calls per method. */
  readonly calls: RegistryCallCounts = {
    getSchemaById: 0,
    getSchemaByGuid: 0,
    getLatestVersion: 0,
    getVersion: 0,
    lookup: 0,
    register: 0,
    resolveReferences: 0,
  };

  readonly #options: MemorySchemaRegistryOptions;
  readonly #byId = new Map<number, StoredSchema>();
  readonly #byKey = new Map<string, StoredSchema>();
  readonly #byGuid = new Map<string, StoredSchema>();
  readonly #subjects = new Map<string, SubjectVersion[]>();
  #nextId: number;
  #failures: Array<() => Error> = [];

  constructor(options: MemorySchemaRegistryOptions = {}) {
    this.#options = options;
    this.latestTtlMs = options.latestTtlMs ?? 0;
    this.#nextId = options.firstId ?? 1;
    if (!Number.isInteger(this.#nextId) || this.#nextId < 0)
      throw new InvalidTestInputError('firstId', 'a non-negative integer');
  }

  async getSchemaById(id: number): Promise<RegisteredSchema> {
    this.calls.getSchemaById++;
    this.#maybeFail();
    const found = this.#byId.get(id);
    if (!found) throw notFound(`GET /schemas/ids/${id}`, { id }, 40403, 'Schema not found');
    return publicSchema(found);
  }

  async getSchemaByGuid(guid: string): Promise<RegisteredSchema> {
    this.calls.getSchemaByGuid++;
    this.#maybeFail();
    const found = this.#byGuid.get(guid);
    if (!found) throw notFound(`GET /schemas/guids/${guid}`, { guid }, 40403, 'Schema not found');
    return publicSchema(found);
  }

  async getLatestVersion(subject: string): Promise<SubjectVersion> {
    this.calls.getLatestVersion++;
    this.#maybeFail();
    const versions = this.#versionsOf(subject, 'latest');
    return versions[versions.length - 1]!;
  }

  async getVersion(subject: string, version: number): Promise<SubjectVersion> {
    this.calls.getVersion++;
    this.#maybeFail();
    const found = this.#versionsOf(subject, version).find((entry) => entry.version === version);
    if (!found) {
      throw notFound(
        `GET /subjects/${subject}/versions/${version}`,
        { subject, version },
        40402,
        'Version not found',
      );
    }
    return found;
  }

  async lookup(subject: string, schema: SchemaDefinition): Promise<SubjectVersion> {
    this.calls.lookup++;
    this.#maybeFail();
    const versions = this.#versionsOf(subject);
    const key = schemaKey(schema);
    const found = versions.find((entry) => this.#byId.get(entry.id)?.key === key);
    if (!found) throw notFound(`POST /subjects/${subject}`, { subject }, 40403, 'Schema not found');
    return found;
  }

  async register(subject: string, schema: SchemaDefinition): Promise<{ id: number; guid?: string }> {
    this.calls.register++;
    this.#maybeFail();
    return this.add(subject, schema);
  }

  async resolveReferences(schema: Pick<SchemaDefinition, 'references'>): Promise<ResolvedReference[]> {
    this.calls.resolveReferences++;
    this.#maybeFail();
    const out: ResolvedReference[] = [];
    const seen = new Set<string>();
    const visit = (refs: readonly SchemaReference[], depth: number) => {
      if (depth > 32)
        throw new SchemaRegistryError('schema references nest deeper than 32 levels (a cycle?)');
      for (const ref of refs) {
        if (seen.has(ref.name)) continue;
        seen.add(ref.name);
        const resolved = this.#versionsOf(ref.subject, ref.version).find(
          (entry) => entry.version === ref.version,
        );
        if (!resolved) {
          throw notFound(
            `GET /subjects/${ref.subject}/versions/${ref.version}`,
            ref,
            40402,
            'Version not found',
          );
        }
        visit(resolved.references, depth + 1);
        out.push({ name: ref.name, schema: resolved });
      }
    };
    visit(schema.references ?? [], 0);
    return out;
  }

  /**
   * Registers synchronously (no call counted, no simulated failure): seed the registry in a test's setup.
   * Returns the id, the same for the same schema under any subject.
   */
  add(subject: string, schema: SchemaDefinition | string): { id: number; guid?: string } {
    if (typeof subject !== 'string' || subject === '')
      throw new InvalidTestInputError('subject', 'a non-empty string');
    const definition = typeof schema === 'string' ? { schema } : schema;
    if (typeof definition?.schema !== 'string') throw new InvalidTestInputError('schema', 'schema text');
    const key = schemaKey(definition);
    const versions = this.#subjects.get(subject) ?? [];
    const existing = versions.find((entry) => this.#byId.get(entry.id)?.key === key);
    if (existing) return idOf(existing);
    if (this.#options.compatibility && !this.#options.compatibility(subject, definition, versions)) {
      throw new IncompatibleSchemaError(
        `POST /subjects/${subject}/versions answered 409 (error 409): Schema being registered is incompatible with an earlier schema`,
        409,
        409,
      );
    }
    let stored = this.#byKey.get(key);
    if (!stored) {
      stored = {
        key,
        id: this.#nextId++,
        schema: definition.schema,
        schemaType: definition.schemaType ?? 'AVRO',
        references: definition.references ?? [],
        ...(this.#options.guids === false ? {} : { guid: randomUUID() }),
      };
      this.#byKey.set(key, stored);
      this.#byId.set(stored.id, stored);
      if (stored.guid) this.#byGuid.set(stored.guid, stored);
    }
    const entry: SubjectVersion = { ...publicSchema(stored), subject, version: versions.length + 1 };
    versions.push(entry);
    this.#subjects.set(subject, versions);
    return idOf(entry);
  }

  /** Registered subjects, in registration order. */
  subjects(): string[] {
    return [...this.#subjects.keys()];
  }

  /** Versions of a subject, oldest first (empty when unknown). */
  versions(subject: string): SubjectVersion[] {
    return [...(this.#subjects.get(subject) ?? [])];
  }

  /** The next `count` calls fail with `RegistryUnavailableError` (or `error`), as an unreachable registry would. */
  failNext(count = 1, error?: Error): this {
    if (!Number.isInteger(count) || count < 0)
      throw new InvalidTestInputError('failNext(count)', 'a non-negative integer');
    for (let i = 0; i < count; i++) {
      this.#failures.push(
        () => error ?? new RegistryUnavailableError('schema registry unavailable (simulated)', 503),
      );
    }
    return this;
  }

  #maybeFail(): void {
    const next = this.#failures.shift();
    if (next) throw next();
  }

  #versionsOf(subject: string, version?: number | 'latest'): SubjectVersion[] {
    const versions = this.#subjects.get(subject);
    if (!versions || versions.length === 0) {
      const ref = version === undefined ? { subject } : { subject, version };
      throw notFound(`GET /subjects/${subject}`, ref, 40401, 'Subject not found');
    }
    return versions;
  }
}

function notFound(
  what: string,
  ref: SchemaNotFoundError['ref'],
  code: number,
  message: string,
): SchemaNotFoundError {
  return new SchemaNotFoundError(`${what} answered 404 (error ${code}): ${message}`, ref, 404, code);
}

function publicSchema(stored: StoredSchema): RegisteredSchema {
  const { key: _key, ...schema } = stored;
  return schema;
}

function idOf(entry: RegisteredSchema): { id: number; guid?: string } {
  return entry.guid ? { id: entry.id, guid: entry.guid } : { id: entry.id };
}

/** Whitespace in JSON schemas does not make a new schema, as in the real registry's canonical form. */
function schemaKey(definition: SchemaDefinition): string {
  const type: SchemaType = definition.schemaType ?? 'AVRO';
  let text = definition.schema.trim();
  if (type !== 'PROTOBUF') {
    try {
      text = JSON.stringify(JSON.parse(text));
    } catch {
      // Not JSON: compare as written; the serde will report it.
    }
  }
  const refs = (definition.references ?? [])
    .map((ref) => `${ref.name}|${ref.subject}|${ref.version}`)
    .join(',');
  return `${type}\u0000${text}\u0000${refs}`;
}
