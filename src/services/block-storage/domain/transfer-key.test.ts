// Transfer keys are typed by people and passed on command lines: 16 letters and digits, never an option-like '-'.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authKeyMatches, hashAuthKey, newAuthKey } from './transfer-key.ts';

describe('volume transfer keys', () => {
  it('are 16 unambiguous letters and digits, all different, and verify against their hash only', () => {
    const keys = Array.from({ length: 2000 }, () => newAuthKey());
    assert.ok(keys.every((k) => /^[A-HJ-NP-Za-km-z2-9]{16}$/.test(k)), keys.find((k) => !/^[A-HJ-NP-Za-km-z2-9]{16}$/.test(k)));
    assert.equal(new Set(keys).size, keys.length);
    const { salt, hash } = hashAuthKey(keys[0]);
    assert.ok(authKeyMatches(keys[0], salt, hash));
    assert.ok(!authKeyMatches(keys[1], salt, hash));
  });
});
