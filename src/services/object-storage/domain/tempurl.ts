// TempURL signatures as Swift's tempurl middleware checks them: HMAC-SHA1/256/512 over "<method>\n<expires>\n<path>"
// (or "prefix:<path prefix>" for prefix-based URLs) with one of the account's or container's keys.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TempUrlDigest = 'sha1' | 'sha256' | 'sha512';
export const TEMPURL_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const;

const HEX_LENGTH: Record<number, TempUrlDigest> = { 40: 'sha1', 64: 'sha256', 128: 'sha512' };

/** The digest and raw signature of a temp_url_sig value: hex (its length names the digest) or `<digest>:<base64>`. */
export function parseSignature(sig: string): { digest: TempUrlDigest; bytes: Buffer } | undefined {
  const prefixed = /^(sha1|sha256|sha512):([A-Za-z0-9+/_-]+=*)$/.exec(sig);
  if (prefixed) return { digest: prefixed[1] as TempUrlDigest, bytes: Buffer.from(prefixed[2].replace(/-/g, '+').replace(/_/g, '/'), 'base64') };
  const digest = HEX_LENGTH[sig.length];
  return digest && /^[0-9a-fA-F]+$/.test(sig) ? { digest, bytes: Buffer.from(sig, 'hex') } : undefined;
}

/** temp_url_expires: epoch seconds, or an ISO 8601 UTC time (YYYY-MM-DDThh:mm:ssZ). */
export function parseExpires(value: string): number | undefined {
  if (/^\d+$/.test(value)) return Number(value);
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(value)) return Date.parse(value) / 1000;
  return undefined;
}

export function signTempUrl(key: string, digest: TempUrlDigest, method: string, expires: number, path: string): Buffer {
  return createHmac(digest, key).update(`${method}\n${expires}\n${path}`).digest();
}

/** Whether `sig` is a valid signature for any of `keys`; constant-time per key. */
export function signatureMatches(keys: string[], sig: { digest: TempUrlDigest; bytes: Buffer }, methods: string[], expires: number, path: string): string | undefined {
  for (const method of methods) {
    for (const key of keys) {
      const want = signTempUrl(key, sig.digest, method, expires, path);
      if (want.length === sig.bytes.length && timingSafeEqual(want, sig.bytes)) return method;
    }
  }
  return undefined;
}
