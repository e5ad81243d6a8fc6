// Bad input and refusals: every 4xx in Nova's format, never a 500, and nothing changed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('compute API: bad input', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute(); });
  after(async () => { await c?.close(); });

  const flavor = (over: Record<string, unknown>) => ({ flavor: { name: 'bad', ram: 64, vcpus: 1, disk: 0, ...over } });

  it('refuses malformed flavor bodies with badRequest and creates nothing', async () => {
    const cases: unknown[] = [
      flavor({ ram: 'lots' }), flavor({ ram: 0 }), flavor({ vcpus: -1 }), flavor({ disk: 1.5 }), flavor({ name: '' }), flavor({ name: ' padded ' }),
      flavor({ colour: 'red' }), flavor({ 'os-flavor-access:is_public': 'yes' }), flavor({ id: 'has/slash' }), flavor({ rxtx_factor: 0 }),
      flavor({ description: 'needs 2.55' }), { flavor: { name: 'x' } }, { flavour: {} }, [],
    ];
    for (const body of cases) {
      const r = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.badRequest.code, 400);
      assert.equal(typeof r.body.badRequest.message, 'string');
    }
    const malformed = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, raw: '{"flavor": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.badRequest.code, 400);
    const list = await c.call('GET', '/v2.1/flavors?is_public=None', { token: c.as.admin.token });
    assert.equal(list.body.flavors.length, 3);
  });

  it('refuses flavor management to non-admins with forbidden', async () => {
    for (const who of [c.as.alice, c.as.rita]) {
      const r = await c.call('POST', '/v2.1/flavors', { token: who.token, body: flavor({}) });
      assert.equal(r.status, 403);
      assert.equal(r.body.forbidden.message, "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.");
      assert.equal((await c.call('DELETE', '/v2.1/flavors/1', { token: who.token })).status, 403);
      const share = await c.call('POST', '/v2.1/flavors/1/action', { token: who.token, body: { addTenantAccess: { tenant: who.projectId } } });
      assert.equal(share.status, 403);
    }
    assert.equal((await c.call('GET', '/v2.1/flavors/1', { token: c.as.rita.token })).status, 200);
  });

  it('answers unknown ids with itemNotFound and a missing or bad token with unauthorized', async () => {
    for (const [method, path] of [['GET', '/v2.1/flavors/nope'], ['DELETE', '/v2.1/flavors/nope'], ['GET', '/v2.1/flavors/nope/os-extra_specs'],
      ['DELETE', '/v2.1/flavors/1/os-extra_specs/nope']] as const) {
      const r = await c.call(method, path, { token: c.as.admin.token });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.itemNotFound.code, 404);
    }
    const noToken = await c.call('GET', '/v2.1/flavors');
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.unauthorized.code, 401);
    assert.match(noToken.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    assert.equal((await c.call('GET', '/v2.1/flavors', { token: 'garbage' })).status, 401);
  });

  it('refuses bad extra specs, flavor actions and list filters with badRequest', async () => {
    const specs: unknown[] = [{ extra_specs: { 'bad key!': 'x' } }, { extra_specs: { k: { nested: 1 } } }, { extra_specs: { k: 'v'.repeat(256) } }, { specs: {} }];
    for (const body of specs) {
      const r = await c.call('POST', '/v2.1/flavors/1/os-extra_specs', { token: c.as.admin.token, body });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.deepEqual((await c.call('GET', '/v2.1/flavors/1/os-extra_specs', { token: c.as.admin.token })).body.extra_specs, {});
    const actions: unknown[] = [{}, { addTenantAccess: {} }, { addTenantAccess: { tenant: 'a' }, removeTenantAccess: { tenant: 'a' } }, { reboot: {} }];
    for (const body of actions) {
      const r = await c.call('POST', '/v2.1/flavors/1/action', { token: c.as.admin.token, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.badRequest.code, 400);
    }
    for (const q of ['is_public=maybe', 'minRam=-1', 'limit=abc', 'marker=nope', 'sort_dir=sideways']) {
      const r = await c.call('GET', `/v2.1/flavors?${q}`, { token: c.as.admin.token });
      assert.equal(r.status, 400, q);
      assert.equal(r.body.badRequest.code, 400);
    }
  });
});
