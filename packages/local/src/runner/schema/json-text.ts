/**
 * The JSON text of a decoded record, as the ESM's `EventRecordFormat: JSON` delivers it: what the
 * decoders return made JSON-safe first — bytes as base64, a bigint as a number when it is exact
 * (else its decimal string), a Date as ISO text, a Map as an object.
 *
 * @example
 * ```ts
 * jsonText({ id: 7n, raw: Buffer.from('hi') }); // '{"id":7,"raw":"aGk="}'
 * ```
 */
export function jsonText(value: unknown): string | undefined {
  return JSON.stringify(plain(value));
}

function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
    return value;
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = plain(field);
  return out;
}
