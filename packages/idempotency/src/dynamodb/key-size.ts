import { createHash } from 'node:crypto';

/** DynamoDB's limit on a partition key value: 2,048 bytes of UTF-8. */
export const MAX_PARTITION_KEY_BYTES = 2048;
/** What a long key keeps of its start, so that an operator still recognises it in the table. */
const KEPT_BYTES = 1024;

/**
 * The partition key of a stored (prefixed) key: itself when it fits DynamoDB's 2,048 bytes,
 * otherwise its first 1,024 bytes, `…sha256:` and the SHA-256 of the whole key (about 1,100
 * bytes). Deterministic, so a redelivery finds the same item; two long keys that share their start
 * differ in the digest. Without it, one record's long business key (a document, a URL) made the
 * batch's single claim fail with a ValidationException on every retry.
 *
 * @example
 * ```ts
 * storedKey('fn#' + 'x'.repeat(3000)); // 'fn#xxx…(1,024 bytes)…sha256:9f2c…'
 * ```
 */
export function storedKey(key: string): string {
  // A JS string's UTF-8 is at most 3 bytes per UTF-16 unit: most keys skip the byte count.
  if (key.length * 3 <= MAX_PARTITION_KEY_BYTES || Buffer.byteLength(key) <= MAX_PARTITION_KEY_BYTES)
    return key;
  const head = Buffer.from(key, 'utf8').subarray(0, KEPT_BYTES).toString('utf8');
  return `${head}…sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}
