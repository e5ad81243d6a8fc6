// FormPOST signatures as Swift's formpost middleware checks them: an HMAC (SHA-1, SHA-256 or SHA-512, hex or
// `<digest>:<base64>` as for TempURL) of "<path>\n<redirect>\n<max_file_size>\n<max_file_count>\n<expires>" with one of
// the account's or container's TempURL keys.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseSignature } from './tempurl.ts';

export interface FormPostFields {
  path: string;
  redirect?: string;
  maxFileSize?: string;
  maxFileCount?: string;
  expires?: string;
}

/** The text a form's signature covers (absent fields as Swift fills them in: '' for redirect, '0' for the rest). */
export const formPostSignedText = (f: FormPostFields): string =>
  `${f.path}\n${f.redirect || ''}\n${f.maxFileSize || '0'}\n${f.maxFileCount || '0'}\n${f.expires || '0'}`;

/** Whether `signature` signs the form's fields with one of `keys`; constant-time per key. */
export function formPostSignatureValid(keys: string[], signature: string, fields: FormPostFields): boolean {
  const sig = parseSignature(signature);
  if (!sig) return false;
  const text = formPostSignedText(fields);
  let valid = false;
  for (const key of keys) {
    const want = createHmac(sig.digest, key).update(text).digest();
    if (want.length === sig.bytes.length && timingSafeEqual(want, sig.bytes)) valid = true;
  }
  return valid;
}
