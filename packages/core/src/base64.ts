/**
 * Decodes strict base64. Node's decoder skips characters outside the alphabet instead of failing, so
 * a corrupt value would silently become other bytes; comparing the decoded length with the length the
 * text implies catches that without a second pass over the string.
 */
export function decodeBase64(text: string): Buffer | string {
  const bytes = Buffer.from(text, 'base64');
  if (text.length % 4 !== 0) return 'length is not a multiple of 4';
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (bytes.length !== (text.length / 4) * 3 - padding)
    return 'contains characters outside the base64 alphabet';
  return bytes;
}
