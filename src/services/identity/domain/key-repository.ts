// The token key repository, with Keystone's Fernet rotation semantics: key 0 is staged, the highest is primary.
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface TokenKey {
  index: number;
  /** First 4 bytes of SHA-256 of the key: lets a token name its key without revealing it. */
  id: Buffer;
  secret: Buffer;
}

export interface KeyRing {
  primary: TokenKey;
  /** Every key a token may have been encrypted with, by id (hex). */
  byId: Map<string, TokenKey>;
}

function toKey(index: number, secret: Buffer): TokenKey {
  return { index, secret, id: createHash('sha256').update(secret).digest().subarray(0, 4) };
}

function writeKey(dir: string, index: number, secret: Buffer): void {
  const tmp = join(dir, `.${index}.tmp`);
  writeFileSync(tmp, secret.toString('base64url') + '\n', { mode: 0o600 });
  renameSync(tmp, join(dir, String(index)));
}

function listIndexes(dir: string): number[] {
  return readdirSync(dir).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
}

/** Creates the repository with a staged key (0) and a primary key (1) if it is empty. Idempotent. */
export function setupKeyRepository(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const have = listIndexes(dir);
  if (!have.includes(0)) writeKey(dir, 0, randomBytes(32));
  if (have.filter((i) => i > 0).length === 0) writeKey(dir, 1, randomBytes(32));
}

export function loadKeyRing(dir: string): KeyRing {
  if (!existsSync(dir)) throw new Error(`token key repository ${dir} does not exist`);
  const keys = listIndexes(dir).map((i) => toKey(i, Buffer.from(readFileSync(join(dir, String(i)), 'utf8').trim(), 'base64url')));
  const primary = keys.at(-1);
  if (!primary || primary.index === 0) throw new Error(`token key repository ${dir} has no primary key`);
  for (const k of keys) if (k.secret.length !== 32) throw new Error(`token key ${k.index} in ${dir} is not 32 bytes`);
  return { primary, byId: new Map(keys.map((k) => [k.id.toString('hex'), k])) };
}

/**
 * Rotates: the staged key becomes the new primary, a fresh staged key is made, and the oldest secondary keys
 * beyond maxActiveKeys are removed. Tokens made with a removed key stop validating.
 */
export function rotateKeys(dir: string, maxActiveKeys = 3): void {
  setupKeyRepository(dir);
  const indexes = listIndexes(dir);
  const next = (indexes.at(-1) ?? 0) + 1;
  renameSync(join(dir, '0'), join(dir, String(next)));
  writeKey(dir, 0, randomBytes(32));
  const secondaries = listIndexes(dir).filter((i) => i > 0 && i !== next);
  const excess = secondaries.length + 2 - maxActiveKeys;
  for (const i of secondaries.slice(0, Math.max(0, excess))) rmSync(join(dir, String(i)));
}
