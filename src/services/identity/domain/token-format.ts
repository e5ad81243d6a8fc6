// Self-contained encrypted tokens (AES-256-GCM): validation is a decrypt plus a revocation check, no database row.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from './key-repository.ts';

const VERSION = 1;

export type TokenScope =
  | { kind: 'project'; id: string }
  | { kind: 'domain'; id: string }
  | { kind: 'system' }
  | { kind: 'unscoped' };

/** What a token says: who, how, for what, until when. Everything else is looked up at validation time. */
export interface TokenPayload {
  userId: string;
  methods: string[];
  scope: TokenScope;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  /** [own audit id, audit chain id of the token it was made from (if any)] */
  auditIds: string[];
  trustId?: string;
  appCredId?: string;
}

const METHODS = ['password', 'token', 'application_credential'] as const;

function encodePayload(p: TokenPayload): Buffer {
  const mask = p.methods.reduce((m, name) => m | (1 << METHODS.indexOf(name as (typeof METHODS)[number])), 0);
  const scope = p.scope.kind === 'project' ? ['p', p.scope.id] : p.scope.kind === 'domain' ? ['d', p.scope.id] : p.scope.kind === 'system' ? ['s'] : ['u'];
  return Buffer.from(JSON.stringify([p.userId, mask, scope, p.issuedAt, p.expiresAt, p.auditIds, p.trustId ?? 0, p.appCredId ?? 0]));
}

function decodePayload(buf: Buffer): TokenPayload {
  const [userId, mask, scope, issuedAt, expiresAt, auditIds, trustId, appCredId] = JSON.parse(buf.toString('utf8')) as
    [string, number, string[], number, number, string[], string | 0, string | 0];
  const methods = METHODS.filter((_, i) => mask & (1 << i));
  const s: TokenScope = scope[0] === 'p' ? { kind: 'project', id: scope[1] } : scope[0] === 'd' ? { kind: 'domain', id: scope[1] } : scope[0] === 's' ? { kind: 'system' } : { kind: 'unscoped' };
  return { userId, methods, scope: s, issuedAt, expiresAt, auditIds, ...(trustId ? { trustId } : {}), ...(appCredId ? { appCredId } : {}) };
}

/** token = base64url(version | key id (4) | iv (12) | ciphertext | tag (16)) */
export function encryptToken(ring: KeyRing, payload: TokenPayload): string {
  const iv = randomBytes(12);
  const header = Buffer.concat([Buffer.from([VERSION]), ring.primary.id]);
  const cipher = createCipheriv('aes-256-gcm', ring.primary.secret, iv);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(encodePayload(payload)), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** Returns the payload, or undefined for anything that is not a token made with a key we still hold. */
export function decryptToken(ring: KeyRing, token: string): TokenPayload | undefined {
  if (token.length < 44 || token.length > 2048 || !/^[\w-]+$/.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64url');
  if (raw.length < 1 + 4 + 12 + 16 + 1 || raw[0] !== VERSION) return undefined;
  const key = ring.byId.get(raw.subarray(1, 5).toString('hex'));
  if (!key) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.secret, raw.subarray(5, 17));
    decipher.setAAD(raw.subarray(0, 5));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return decodePayload(Buffer.concat([decipher.update(raw.subarray(17, raw.length - 16)), decipher.final()]));
  } catch {
    return undefined;
  }
}
