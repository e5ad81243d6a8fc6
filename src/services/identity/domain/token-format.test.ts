import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupKeyRepository, loadKeyRing, rotateKeys } from './key-repository.ts';
import { encryptToken, decryptToken } from './token-format.ts';
import type { TokenPayload } from './token-format.ts';

const payload: TokenPayload = {
  userId: 'a'.repeat(32), methods: ['password', 'token'], scope: { kind: 'project', id: 'b'.repeat(32) },
  issuedAt: 1_700_000_000_123, expiresAt: 1_700_003_600_123, auditIds: ['abcdefghijklmnopqrstuv'],
};

describe('token format', () => {
  it('round-trips a payload and keeps tokens short enough for headers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    setupKeyRepository(dir);
    const ring = loadKeyRing(dir);
    const token = encryptToken(ring, payload);
    assert.ok(token.length < 300, `token is ${token.length} chars`);
    assert.deepEqual(decryptToken(ring, token), payload);
  });
  it('rejects a token with one flipped character, garbage, and tokens from another repository', () => {
    const a = mkdtempSync(join(tmpdir(), 'keys-')); setupKeyRepository(a);
    const b = mkdtempSync(join(tmpdir(), 'keys-')); setupKeyRepository(b);
    const token = encryptToken(loadKeyRing(a), payload);
    const i = 30;
    const flipped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    assert.equal(decryptToken(loadKeyRing(a), flipped), undefined);
    assert.equal(decryptToken(loadKeyRing(a), 'not-a-token'), undefined);
    assert.equal(decryptToken(loadKeyRing(b), token), undefined);
  });
  it('keeps tokens valid across a rotation and drops them once their key is pruned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    setupKeyRepository(dir);
    const token = encryptToken(loadKeyRing(dir), payload);
    rotateKeys(dir, 3);
    assert.deepEqual(decryptToken(loadKeyRing(dir), token), payload, 'still valid after one rotation');
    assert.equal(loadKeyRing(dir).primary.index, 2);
    rotateKeys(dir, 3);
    assert.equal(decryptToken(loadKeyRing(dir), token), undefined, 'pruned after the second rotation');
    assert.deepEqual(readdirSync(dir).filter((f) => /^\d+$/.test(f)).sort(), ['0', '2', '3']);
  });
});
