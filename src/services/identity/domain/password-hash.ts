// Passwords and application-credential secrets are stored as scrypt hashes (a slow, memory-hard KDF built into Node).
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface HashCost {
  /** log2 of scrypt's N: each step doubles CPU time and memory. */
  log2N: number;
  r: number;
  p: number;
}

export const DEFAULT_HASH_COST: HashCost = { log2N: 15, r: 8, p: 1 };

function derive(secret: string, salt: Buffer, cost: HashCost, length: number): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, length, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a secret into a self-describing string: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`. */
export async function hashSecret(secret: string, cost: HashCost = DEFAULT_HASH_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, cost, 32);
  return `$scrypt$ln=${cost.log2N},r=${cost.r},p=${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Checks a secret against a stored hash in constant time; a malformed hash never matches. */
export async function verifySecret(secret: string, stored: string | null | undefined): Promise<boolean> {
  if (!stored) return false;
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(stored);
  if (!m) return false;
  const cost = { log2N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const expected = Buffer.from(m[5], 'base64url');
  const actual = await derive(secret, Buffer.from(m[4], 'base64url'), cost, expected.length);
  return timingSafeEqual(actual, expected);
}
