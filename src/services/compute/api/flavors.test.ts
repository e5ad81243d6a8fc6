// The Compute API's version documents, microversion negotiation and flavors (extra specs, access) against a real Identity.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('compute API: versions and flavors', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute(); });
  after(async () => { await c?.close(); });

  it('lists v2.0 and v2.1 at / and describes v2.1 with its microversion range, without a token', async () => {
    const root = await c.call('GET', '/');
    assert.equal(root.status, 200);
    const v21 = root.body.versions.find((v: { id: string }) => v.id === 'v2.1');
    assert.deepEqual([v21.status, v21.min_version, v21.version], ['CURRENT', '2.1', '2.93']);
    assert.ok(root.body.versions.some((v: { id: string }) => v.id === 'v2.0'));
    const doc = await c.call('GET', '/v2.1');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.version.id, 'v2.1');
    assert.match(doc.body.version.links[0].href, /\/v2\.1\/$/);
  });

  it('negotiates microversions from either header, echoes them and refuses unsupported ones with 406', async () => {
    const modern = await c.call('GET', '/v2.1/flavors', { token: c.as.alice.token, version: '2.55' });
    assert.equal(modern.headers.get('openstack-api-version'), 'compute 2.55');
    assert.equal(modern.headers.get('x-openstack-nova-api-version'), '2.55');
    assert.ok(modern.headers.get('x-compute-request-id')?.startsWith('req-'));
    const legacy = await c.call('GET', '/v2.1/flavors', { token: c.as.alice.token, headers: { 'x-openstack-nova-api-version': 'latest' } });
    assert.equal(legacy.headers.get('openstack-api-version'), 'compute 2.93');
    const none = await c.call('GET', '/v2.1/flavors', { token: c.as.alice.token });
    assert.equal(none.headers.get('openstack-api-version'), 'compute 2.1');
    const tooNew = await c.call('GET', '/v2.1/flavors', { token: c.as.alice.token, version: '2.99' });
    assert.equal(tooNew.status, 406);
    assert.equal(tooNew.body.computeFault.code, 406);
    const bad = await c.call('GET', '/v2.1/flavors', { token: c.as.alice.token, version: 'two' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.badRequest.code, 400);
  });

  it('bootstraps devstack\'s default flavors on first start', async () => {
    const r = await c.call('GET', '/v2.1/flavors/detail', { token: c.as.alice.token });
    assert.equal(r.status, 200);
    const tiny = r.body.flavors.find((f: { name: string }) => f.name === 'm1.tiny');
    assert.deepEqual(
      { id: tiny.id, ram: tiny.ram, disk: tiny.disk, vcpus: tiny.vcpus, swap: tiny.swap, pub: tiny['os-flavor-access:is_public'] },
      { id: '1', ram: 512, disk: 1, vcpus: 1, swap: '', pub: true },
    );
    assert.deepEqual(r.body.flavors.map((f: { name: string }) => f.name), ['m1.tiny', 'm1.small', 'm1.medium']);
    assert.equal(tiny.description, undefined, 'no description before 2.55');
  });

  it('lets an admin create, show and delete a flavor, with the description from 2.55', async () => {
    const created = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, version: '2.55', body: { flavor: {
      name: 'c1.big', ram: 8192, vcpus: 4, disk: 80, id: 'big', swap: 512, 'OS-FLV-EXT-DATA:ephemeral': 10, rxtx_factor: 2, description: 'big one',
    } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.flavor.id, 'big');
    assert.equal(created.body.flavor.swap, 512);
    assert.equal(created.body.flavor.description, 'big one');
    assert.match(created.body.flavor.links[0].href, /\/v2\.1\/flavors\/big$/);
    const shown = await c.call('GET', '/v2.1/flavors/big', { token: c.as.alice.token });
    assert.equal(shown.body.flavor['OS-FLV-EXT-DATA:ephemeral'], 10);
    assert.equal(shown.body.flavor.description, undefined);
    const updated = await c.call('PUT', '/v2.1/flavors/big', { token: c.as.admin.token, version: '2.55', body: { flavor: { description: 'bigger' } } });
    assert.equal(updated.body.flavor.description, 'bigger');
    assert.equal((await c.call('PUT', '/v2.1/flavors/big', { token: c.as.admin.token, body: { flavor: { description: 'x' } } })).status, 404);
    const summary = await c.call('GET', '/v2.1/flavors', { token: c.as.bob.token });
    assert.ok(summary.body.flavors.some((f: { id: string }) => f.id === 'big'));
    assert.equal((await c.call('DELETE', '/v2.1/flavors/big', { token: c.as.admin.token })).status, 202);
    const gone = await c.call('GET', '/v2.1/flavors/big', { token: c.as.admin.token });
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { itemNotFound: { code: 404, message: 'Flavor big could not be found.' } });
  });

  it('gives a flavor created without an id a UUID, and refuses a duplicate name or id with 409', async () => {
    const r = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body: { flavor: { name: 'auto-id', ram: 64, vcpus: 1, disk: 0, id: null } } });
    assert.match(r.body.flavor.id, /^[0-9a-f-]{36}$/);
    const dupName = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body: { flavor: { name: 'm1.tiny', ram: 64, vcpus: 1, disk: 0 } } });
    assert.deepEqual(dupName.body, { conflictingRequest: { code: 409, message: 'Flavor with name m1.tiny already exists.' } });
    const dupId = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body: { flavor: { name: 'other', ram: 64, vcpus: 1, disk: 0, id: '1' } } });
    assert.equal(dupId.body.conflictingRequest.message, 'Flavor with ID 1 already exists.');
  });

  it('keeps extra specs: create, list, show, update one, delete one; members read them and cannot write them', async () => {
    const base = '/v2.1/flavors/2/os-extra_specs';
    const set = await c.call('POST', base, { token: c.as.admin.token, body: { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_iops_sec': 500 } } });
    assert.deepEqual(set.body, { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_iops_sec': '500' } });
    assert.deepEqual((await c.call('GET', base, { token: c.as.rita.token })).body.extra_specs, { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_iops_sec': '500' });
    assert.deepEqual((await c.call('GET', `${base}/hw:cpu_policy`, { token: c.as.alice.token })).body, { 'hw:cpu_policy': 'dedicated' });
    const put = await c.call('PUT', `${base}/hw:cpu_policy`, { token: c.as.admin.token, body: { 'hw:cpu_policy': 'shared' } });
    assert.deepEqual(put.body, { 'hw:cpu_policy': 'shared' });
    const mismatch = await c.call('PUT', `${base}/hw:cpu_policy`, { token: c.as.admin.token, body: { other: 'x' } });
    assert.deepEqual(mismatch.body, { badRequest: { code: 400, message: 'Request body and URI mismatch' } });
    assert.equal((await c.call('DELETE', `${base}/hw:cpu_policy`, { token: c.as.admin.token })).status, 200);
    const missing = await c.call('GET', `${base}/hw:cpu_policy`, { token: c.as.admin.token });
    assert.equal(missing.body.itemNotFound.message, 'Flavor 2 has no extra specs with key hw:cpu_policy.');
    const denied = await c.call('POST', base, { token: c.as.alice.token, body: { extra_specs: { a: 'b' } } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.forbidden.message, "Policy doesn't allow os_compute_api:os-flavor-extra-specs:create to be performed.");
    assert.deepEqual((await c.call('GET', base, { token: c.as.admin.token })).body.extra_specs, { 'quota:disk_read_iops_sec': '500' });
  });

  it('shows a private flavor only to admins and the projects it is shared with', async () => {
    await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, body: { flavor: { name: 'secret', id: 'p1', ram: 128, vcpus: 1, disk: 1, 'os-flavor-access:is_public': false } } });
    const visibleTo = async (token: string) => (await c.call('GET', '/v2.1/flavors/detail', { token })).body.flavors.some((f: { id: string }) => f.id === 'p1');
    assert.equal(await visibleTo(c.as.alice.token), false);
    assert.equal((await c.call('GET', '/v2.1/flavors/p1', { token: c.as.alice.token })).status, 404);
    assert.equal(await visibleTo(c.as.admin.token), false, 'admins list public flavors unless is_public=none');
    const all = await c.call('GET', '/v2.1/flavors?is_public=None', { token: c.as.admin.token });
    assert.ok(all.body.flavors.some((f: { id: string }) => f.id === 'p1'));

    const added = await c.call('POST', '/v2.1/flavors/p1/action', { token: c.as.admin.token, body: { addTenantAccess: { tenant: c.as.alice.projectId } } });
    assert.deepEqual(added.body, { flavor_access: [{ flavor_id: 'p1', tenant_id: c.as.alice.projectId }] });
    assert.equal(await visibleTo(c.as.alice.token), true);
    assert.equal(await visibleTo(c.as.bob.token), false);
    assert.equal((await c.call('GET', '/v2.1/flavors/p1', { token: c.as.alice.token })).status, 200);
    const again = await c.call('POST', '/v2.1/flavors/p1/action', { token: c.as.admin.token, body: { addTenantAccess: { tenant: c.as.alice.projectId } } });
    assert.equal(again.status, 409);
    assert.equal((await c.call('GET', '/v2.1/flavors/p1/os-flavor-access', { token: c.as.admin.token })).body.flavor_access.length, 1);
    assert.equal((await c.call('GET', '/v2.1/flavors/p1/os-flavor-access', { token: c.as.alice.token })).status, 403);

    const removed = await c.call('POST', '/v2.1/flavors/p1/action', { token: c.as.admin.token, body: { removeTenantAccess: { tenant: c.as.alice.projectId } } });
    assert.deepEqual(removed.body, { flavor_access: [] });
    assert.equal(await visibleTo(c.as.alice.token), false);
    const notThere = await c.call('POST', '/v2.1/flavors/p1/action', { token: c.as.admin.token, body: { removeTenantAccess: { tenant: 'nobody' } } });
    assert.equal(notThere.body.itemNotFound.message, 'Flavor access not found for p1 / nobody combination.');
    const pub = await c.call('GET', '/v2.1/flavors/1/os-flavor-access', { token: c.as.admin.token });
    assert.equal(pub.body.itemNotFound.message, 'Access list not available for public flavors.');
    const toPublic = await c.call('POST', '/v2.1/flavors/1/action', { token: c.as.admin.token, body: { addTenantAccess: { tenant: 'x' } } });
    assert.equal(toPublic.status, 409);
  });

  it('filters flavor lists by minRam and minDisk and pages them with limit and marker', async () => {
    const big = await c.call('GET', '/v2.1/flavors?minRam=2048&minDisk=20', { token: c.as.alice.token });
    assert.deepEqual(big.body.flavors.map((f: { name: string }) => f.name), ['m1.small', 'm1.medium']);
    // Earlier tests added flavors with random ids, so the page after '1' is whatever the full list has next.
    const all = (await c.call('GET', '/v2.1/flavors', { token: c.as.alice.token })).body.flavors.map((f: { id: string }) => f.id);
    const next = all[all.indexOf('1') + 1];
    const page = await c.call('GET', '/v2.1/flavors?limit=1&marker=1', { token: c.as.alice.token });
    assert.deepEqual(page.body.flavors.map((f: { id: string }) => f.id), [next]);
    assert.match(page.body.flavors_links[0].href, new RegExp(`marker=${next}`));
  });
});
