// Go's base64.StdEncoding (upstream §3.1) is strict: padded, standard alphabet. Buffer.from(s,
// 'base64') silently skips bad characters, so a corrupted value would decode to something
// shorter instead of failing. This pattern restores the strictness.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes padded standard base64, or returns undefined when `s` is not exactly that. */
export function decodeBase64Strict(s: string): Buffer | undefined {
  if (!STRICT_BASE64.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}
