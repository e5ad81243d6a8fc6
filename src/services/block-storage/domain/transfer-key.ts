// Volume transfer auth keys: shown once to the giver, kept only as a salted hash, compared in constant time.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * Cinder's keys are 16 characters a person can read out and type: letters and digits only (no look-alikes), so a
 * key never starts with '-' and gets taken for an option by the CLI. 57 symbols × 16 ≈ 93 bits.
 */
export function newAuthKey(): string {
  // Rejection sampling keeps every symbol equally likely.
  let key = '';
  while (key.length < 16) {
    for (const b of randomBytes(32)) {
      if (b < 228 && key.length < 16) key += ALPHABET[b % ALPHABET.length];
    }
  }
  return key;
}

export function hashAuthKey(key: string, salt = randomBytes(16).toString('hex')): { salt: string; hash: string } {
  return { salt, hash: scryptSync(key, salt, 32, { N: 1024 }).toString('hex') };
}

export function authKeyMatches(key: string, salt: string, hash: string): boolean {
  const expected = Buffer.from(hash, 'hex');
  const actual = Buffer.from(hashAuthKey(key, salt).hash, 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
