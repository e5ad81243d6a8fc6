// Volume transfer auth keys: shown once to the giver, kept only as a salted hash, compared in constant time.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** Cinder's keys are 16 characters a person can read out and type. */
export function newAuthKey(): string {
  return randomBytes(12).toString('base64url').slice(0, 16);
}

export function hashAuthKey(key: string, salt = randomBytes(16).toString('hex')): { salt: string; hash: string } {
  return { salt, hash: scryptSync(key, salt, 32, { N: 1024 }).toString('hex') };
}

export function authKeyMatches(key: string, salt: string, hash: string): boolean {
  const expected = Buffer.from(hash, 'hex');
  const actual = Buffer.from(hashAuthKey(key, salt).hash, 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
