/**
 * The registry's credentials kept out of the errors the client throws. A network error is kept as
 * the `cause` of `RegistryUnavailableError`, and `console.error(error)` (or a logger printing causes)
 * writes every string reachable from it: a `fetch` that quotes its request (a custom one, a proxy's)
 * would print the `Authorization` header. Causes that carry none of the secrets are kept as they are.
 */

/** What must never appear in an error: the user info, its password, the header value, tokens. */
export function secretsOf(parts: ReadonlyArray<string | undefined>): readonly string[] {
  const secrets = new Set<string>();
  for (const part of parts) {
    if (!part) continue;
    secrets.add(part);
    // The Authorization value's credential alone (`Basic <base64>`, `Bearer <token>`).
    const space = part.indexOf(' ');
    if (space > 0 && space < part.length - 1) secrets.add(part.slice(space + 1));
  }
  // Short fragments would match ordinary text: a secret is never that short in practice.
  return [...secrets].filter((s) => s.length >= 4);
}

/**
 * `cause` itself when no string reachable from it holds a secret; otherwise a copy of its chain
 * (name, message, `code`, `cause`, as plain errors) with every secret replaced by `[redacted]`.
 */
export function withoutSecrets(cause: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0 || !reaches(cause, secrets, new Set(), 0)) return cause;
  return copy(cause, secrets, 0);
}

const MAX_DEPTH = 16;

function reaches(value: unknown, secrets: readonly string[], seen: Set<unknown>, depth: number): boolean {
  if (typeof value === 'string') return secrets.some((s) => value.includes(s));
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  if (depth > MAX_DEPTH || seen.has(value)) return false;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor && 'value' in descriptor && reaches(descriptor.value, secrets, seen, depth + 1))
      return true;
  }
  // Error's `message`, `stack` and `cause` are own properties; a header map may be a Headers object.
  if (value instanceof Headers)
    for (const [, v] of value) if (secrets.some((s) => v.includes(s))) return true;
  return false;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

function copy(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (!(value instanceof Error)) return value === undefined || value === null ? value : '[redacted]';
  const error = new Error(redact(value.message, secrets));
  error.name = value.name;
  error.stack = redact(value.stack ?? `${value.name}: ${value.message}`, secrets);
  const code = (value as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') Object.assign(error, { code });
  if (value.cause !== undefined && depth < MAX_DEPTH) error.cause = copy(value.cause, secrets, depth + 1);
  return error;
}
