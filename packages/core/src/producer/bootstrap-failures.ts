// A connect that cannot succeed as configured, told apart from one that may (recorded in
// packages/core/test/recordings/client-errors.json, scenarios all-brokers-down-at-connect and
// unresolvable-host): while a new client connects, librdkafka logs each failed attempt per bootstrap
// server, on a thread named after it:
//   [thrd:sasl_plaintext://127.0.0.1:19292/bootstrap]: …: Connect to ipv4#127.0.0.1:19292 failed: Connection refused (…)
//   [thrd:sasl_plaintext://kafka.invalid:9092/bootstrap]: …: Failed to resolve 'kafka.invalid:9092': Name or service not known (…)
// and keeps retrying until the connect budget ends (a wrong port cost 29.8 s of a 30 s function).
// When EVERY bootstrap server refused the connection or has a name that does not exist, and none
// connected within a grace period, retrying before the configuration changes cannot help.
// "Temporary failure in name resolution" (EAI_AGAIN), timeouts and other lines are not counted.

/** How long every bootstrap server must have failed so before the failure counts as definitive. */
export const DEFINITIVE_GRACE_MS = 1_000;

// Plaintext brokers are named without a scheme (`127.0.0.1:9092/bootstrap`), others with it.
const BOOTSTRAP_THREAD = /^\[thrd:(?:[a-z_]+:\/\/)?([^/\]]+)\/bootstrap\]/i;
const REFUSED = /: Connect to \S+ failed: Connection refused/;
const UNRESOLVABLE =
  /: Failed to resolve '[^']*': (Name or service not known|No address associated with hostname|nodename nor servname provided)/;

/** `host:port` in lower case; librdkafka's default port when none is given; no scheme. */
export function normalizedServer(server: string): string {
  const bare = server
    .trim()
    .replace(/^[a-z_]+:\/\//i, '')
    .toLowerCase();
  return /:\d+$/.test(bare) ? bare : `${bare}:9092`;
}

/** The servers of a `bootstrap.servers` list, normalized. */
export function bootstrapServersOf(list: unknown): string[] {
  if (typeof list !== 'string') return [];
  return [
    ...new Set(
      list
        .split(',')
        .filter((s) => s.trim() !== '')
        .map(normalizedServer),
    ),
  ];
}

/**
 * Follows one connect attempt's log lines; says when every bootstrap server has failed in a way that
 * retrying cannot fix (refused, or no such name). `definitiveReason()` is the reason once it is so.
 *
 * @example
 * ```ts
 * const failures = new BootstrapFailures(['b-1:9092']);
 * failures.heard("[thrd:plaintext://b-1:9092/bootstrap]: …: Connect to ipv4#10.0.0.1:9092 failed: Connection refused");
 * failures.allFailed; // true: after the grace period, definitiveReason() says why
 * ```
 */
export class BootstrapFailures {
  readonly #servers: ReadonlySet<string>;
  readonly #reasons = new Map<string, 'refused' | 'unresolvable'>();

  constructor(servers: readonly string[]) {
    this.#servers = new Set(servers);
  }

  /** Takes a log line; true when it was a counted failure of a bootstrap server. */
  heard(line: string): boolean {
    const server = BOOTSTRAP_THREAD.exec(line)?.[1]?.toLowerCase();
    if (!server || !this.#servers.has(server)) return false;
    const kind = REFUSED.test(line) ? 'refused' : UNRESOLVABLE.test(line) ? 'unresolvable' : undefined;
    if (!kind) return false;
    this.#reasons.set(server, kind);
    return true;
  }

  /** Every bootstrap server (at least one) has failed definitively at least once. */
  get allFailed(): boolean {
    return this.#servers.size > 0 && this.#reasons.size === this.#servers.size;
  }

  /** Why no attempt can succeed as configured. */
  definitiveReason(): string {
    const refused = [...this.#reasons].filter(([, kind]) => kind === 'refused').map(([s]) => s);
    const unresolvable = [...this.#reasons].filter(([, kind]) => kind === 'unresolvable').map(([s]) => s);
    const parts: string[] = [];
    if (refused.length > 0)
      parts.push(`connection refused by ${refused.join(', ')} (nothing listens on that port)`);
    if (unresolvable.length > 0) parts.push(`no such host name: ${unresolvable.join(', ')}`);
    return `every bootstrap server failed for ${DEFINITIVE_GRACE_MS / 1_000} s: ${parts.join('; ')}`;
  }
}
