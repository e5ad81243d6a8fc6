import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startIdentity, unique } from './test-identity.ts';
import type { TestIdentity } from './test-identity.ts';

describe('identity list_limit', () => {
  let t: TestIdentity;
  before(async () => { t = await startIdentity({ list_limit: 3 }); });
  after(() => t.close());

  it('cuts a longer list to the limit and marks it truncated, and leaves short lists alone', async () => {
    for (let i = 0; i < 4; i++) await t.create('/v3/projects', 'project', { name: unique('limited') });
    const long = await t.call('GET', '/v3/projects', { token: t.admin });
    assert.equal(long.status, 200);
    assert.equal(long.body.projects.length, 3);
    assert.equal(long.body.truncated, true);
    const short = await t.call('GET', '/v3/domains', { token: t.admin });
    assert.equal(short.body.domains.length, 1);
    assert.equal('truncated' in short.body, false);
  });
});
