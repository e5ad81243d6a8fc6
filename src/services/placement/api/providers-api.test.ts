// Placement's provider-side API in process: versions and microversions, providers and trees, inventories, traits,
// aggregates, resource classes and usages, each in the shape of the negotiated microversion.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startPlacement } from './test-placement.ts';
import type { TestPlacement } from './test-placement.ts';

describe('placement API: providers and what they offer', () => {
  let t: TestPlacement;
  before(async () => { t = await startPlacement(); });
  after(() => t.close());

  it('publishes its version range at / without a token, and negotiates microversions (406 out of range, 400 malformed)', async () => {
    const root = await t.call('GET', '/', { version: null });
    assert.equal(root.status, 200);
    assert.deepEqual(root.body, { versions: [{ id: 'v1.0', min_version: '1.0', max_version: '1.39', status: 'CURRENT', links: [{ rel: 'self', href: '' }] }] });
    assert.equal(root.headers.get('openstack-api-version'), 'placement 1.0');
    assert.match(root.headers.get('vary') ?? '', /OpenStack-API-Version/i);

    const latest = await t.call('GET', '/', { version: 'latest' });
    assert.equal(latest.headers.get('openstack-api-version'), 'placement 1.39');
    assert.equal(latest.headers.get('cache-control'), 'no-cache');
    assert.ok(Date.parse(latest.headers.get('last-modified') ?? '') > 0);

    const tooNew = await t.call('GET', '/', { version: '1.40' });
    assert.equal(tooNew.status, 406);
    assert.equal(tooNew.body.errors[0].max_version, '1.39');
    assert.equal(tooNew.body.errors[0].min_version, '1.0');
    const malformed = await t.call('GET', '/resource_providers', { token: t.as.admin, version: '1.x' });
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.errors[0].request_id, /^req-/);
  });

  it('creates a provider: 201 with a Location before 1.20, 200 with the provider from 1.20', async () => {
    const old = await t.call('POST', '/resource_providers', { token: t.as.admin, version: '1.19', body: { name: 'rp-old' } });
    assert.equal(old.status, 201);
    assert.equal(old.body, undefined);
    const location = old.headers.get('location') ?? '';
    assert.match(location, /\/resource_providers\/[0-9a-f-]{36}$/);
    const shown = await t.call('GET', new URL(location).pathname, { token: t.as.admin, version: '1.0' });
    assert.deepEqual(Object.keys(shown.body).sort(), ['generation', 'links', 'name', 'uuid']);
    assert.deepEqual(shown.body.links.map((l: { rel: string }) => l.rel), ['self', 'inventories', 'usages']);

    const uuid = randomUUID().replaceAll('-', '').toUpperCase();
    const created = await t.call('POST', '/resource_providers', { token: t.as.admin, body: { name: 'rp-new', uuid } });
    assert.equal(created.status, 200);
    assert.equal(created.body.uuid, [uuid.slice(0, 8), uuid.slice(8, 12), uuid.slice(12, 16), uuid.slice(16, 20), uuid.slice(20)].join('-').toLowerCase());
    assert.deepEqual(created.body.links.map((l: { rel: string }) => l.rel), ['self', 'inventories', 'usages', 'aggregates', 'traits', 'allocations']);
    assert.equal(created.body.generation, 0);
    assert.equal(created.body.root_provider_uuid, created.body.uuid);
    assert.equal(created.body.parent_provider_uuid, null);
  });

  it('builds trees: a child joins its parent\'s root, in_tree lists a whole tree, re-parenting needs 1.37', async () => {
    const root = await t.provider('tree-root');
    const child = await t.provider('tree-child', { parent_provider_uuid: root.uuid });
    const grandchild = await t.provider('tree-grandchild', { parent_provider_uuid: child.uuid });
    assert.equal(grandchild.root_provider_uuid, root.uuid);
    const tree = await t.call('GET', `/resource_providers?in_tree=${grandchild.uuid}`, { token: t.as.admin });
    assert.deepEqual(tree.body.resource_providers.map((p: { name: string }) => p.name), ['tree-root', 'tree-child', 'tree-grandchild']);

    const other = await t.provider('tree-other');
    const refused = await t.call('PUT', `/resource_providers/${child.uuid}`, { token: t.as.admin, version: '1.36', body: { name: 'tree-child', parent_provider_uuid: other.uuid } });
    assert.equal(refused.status, 400);
    assert.match(refused.body.errors[0].detail, /re-parenting a provider is not currently allowed/);
    const loop = await t.call('PUT', `/resource_providers/${child.uuid}`, { token: t.as.admin, body: { name: 'tree-child', parent_provider_uuid: grandchild.uuid } });
    assert.equal(loop.status, 400);
    assert.match(loop.body.errors[0].detail, /loop/);

    const moved = await t.call('PUT', `/resource_providers/${child.uuid}`, { token: t.as.admin, body: { name: 'tree-child-moved', parent_provider_uuid: other.uuid } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.root_provider_uuid, other.uuid);
    assert.equal(moved.body.name, 'tree-child-moved');
    const g = await t.call('GET', `/resource_providers/${grandchild.uuid}`, { token: t.as.admin });
    assert.equal(g.body.root_provider_uuid, other.uuid, 'the moved subtree takes the new root');

    const unparented = await t.call('PUT', `/resource_providers/${child.uuid}`, { token: t.as.admin, body: { name: 'tree-child-moved', parent_provider_uuid: null } });
    assert.equal(unparented.body.root_provider_uuid, child.uuid);
    assert.equal((await t.call('GET', `/resource_providers/${grandchild.uuid}`, { token: t.as.admin })).body.root_provider_uuid, child.uuid);
  });

  it('replaces inventories with a generation check and shows each in full', async () => {
    const rp = await t.provider('inv-host');
    const put = await t.call('PUT', `/resource_providers/${rp.uuid}/inventories`, {
      token: t.as.service,
      body: { resource_provider_generation: 0, inventories: { VCPU: { total: 16, allocation_ratio: 4.0, max_unit: 16 }, MEMORY_MB: { total: 32768, reserved: 512 } } },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.resource_provider_generation, 1);
    assert.deepEqual(put.body.inventories.MEMORY_MB, { total: 32768, reserved: 512, min_unit: 1, max_unit: 2147483647, step_size: 1, allocation_ratio: 1 });

    const one = await t.call('GET', `/resource_providers/${rp.uuid}/inventories/VCPU`, { token: t.as.admin });
    assert.deepEqual(one.body, { total: 16, reserved: 0, min_unit: 1, max_unit: 16, step_size: 1, allocation_ratio: 4, resource_provider_generation: 1 });
    const updated = await t.call('PUT', `/resource_providers/${rp.uuid}/inventories/VCPU`, { token: t.as.admin, body: { total: 32, resource_provider_generation: 1 } });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.total, 32);
    assert.equal(updated.body.resource_provider_generation, 2);

    const posted = await t.call('POST', `/resource_providers/${rp.uuid}/inventories`, { token: t.as.admin, body: { resource_class: 'DISK_GB', total: 500 } });
    assert.equal(posted.status, 201);
    assert.equal(posted.body.resource_provider_generation, 3);
    const dropped = await t.call('DELETE', `/resource_providers/${rp.uuid}/inventories/DISK_GB`, { token: t.as.admin });
    assert.equal(dropped.status, 204);
    const before15 = await t.call('DELETE', `/resource_providers/${rp.uuid}/inventories`, { token: t.as.admin, version: '1.4' });
    assert.equal(before15.status, 405);
    const all = await t.call('DELETE', `/resource_providers/${rp.uuid}/inventories`, { token: t.as.admin });
    assert.equal(all.status, 204);
    const left = await t.call('GET', `/resource_providers/${rp.uuid}/inventories`, { token: t.as.admin });
    assert.deepEqual(left.body, { resource_provider_generation: 5, inventories: {} });
  });

  it('lets reserved equal total from 1.26 only', async () => {
    const rp = await t.provider('reserved-host');
    const body = { resource_provider_generation: 0, inventories: { VCPU: { total: 4, reserved: 4 } } };
    const old = await t.call('PUT', `/resource_providers/${rp.uuid}/inventories`, { token: t.as.admin, version: '1.25', body });
    assert.equal(old.status, 400);
    assert.match(old.body.errors[0].detail, /greater than or equal to total/);
    assert.equal((await t.call('PUT', `/resource_providers/${rp.uuid}/inventories`, { token: t.as.admin, body })).status, 200);
  });

  it('filters providers by name, uuid, resources, member_of (any, all, none) and required/forbidden traits', async () => {
    const [a, b, c] = [await t.provider('f-a'), await t.provider('f-b'), await t.provider('f-c')];
    const [agg1, agg2] = [randomUUID(), randomUUID()];
    await t.inventory(a.uuid, { VCPU: { total: 4 } });
    await t.inventory(b.uuid, { VCPU: { total: 1 } });
    await t.call('PUT', `/resource_providers/${a.uuid}/aggregates`, { token: t.as.admin, body: { aggregates: [agg1, agg2], resource_provider_generation: 1 } });
    await t.call('PUT', `/resource_providers/${b.uuid}/aggregates`, { token: t.as.admin, body: { aggregates: [agg1], resource_provider_generation: 1 } });
    await t.call('PUT', '/traits/CUSTOM_FILTER_GOLD', { token: t.as.admin });
    await t.call('PUT', `/resource_providers/${c.uuid}/traits`, { token: t.as.admin, body: { traits: ['CUSTOM_FILTER_GOLD', 'HW_CPU_X86_AVX2'], resource_provider_generation: 0 } });

    const names = async (query: string, version?: string) => {
      const r = await t.call('GET', `/resource_providers?${query}`, { token: t.as.admin, version });
      assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
      return r.body.resource_providers.map((p: { name: string }) => p.name).filter((n: string) => n.startsWith('f-')).sort();
    };
    assert.deepEqual(await names('name=f-b'), ['f-b']);
    assert.deepEqual(await names(`uuid=${c.uuid}`), ['f-c']);
    assert.deepEqual(await names('resources=VCPU:2'), ['f-a']);
    assert.deepEqual(await names(`member_of=in:${agg1},${agg2}`), ['f-a', 'f-b']);
    assert.deepEqual(await names(`member_of=${agg1}&member_of=${agg2}`), ['f-a']);
    assert.deepEqual(await names(`member_of=!${agg2}`), ['f-b', 'f-c']);
    assert.deepEqual(await names('required=CUSTOM_FILTER_GOLD'), ['f-c']);
    assert.deepEqual(await names('required=!CUSTOM_FILTER_GOLD'), ['f-a', 'f-b']);
    assert.deepEqual(await names('required=in:CUSTOM_FILTER_GOLD,HW_CPU_X86_SSE&required=HW_CPU_X86_AVX2'), ['f-c']);
  });

  it('keeps aggregates in the 1.19 shape with a generation check, and as a bare list before', async () => {
    const rp = await t.provider('agg-host');
    const agg = randomUUID();
    const old = await t.call('PUT', `/resource_providers/${rp.uuid}/aggregates`, { token: t.as.admin, version: '1.18', body: [agg] });
    assert.deepEqual(old.body, { aggregates: [agg] });
    const seen = await t.call('GET', `/resource_providers/${rp.uuid}/aggregates`, { token: t.as.admin });
    assert.deepEqual(seen.body, { aggregates: [agg], resource_provider_generation: 0 });
    const stale = await t.call('PUT', `/resource_providers/${rp.uuid}/aggregates`, { token: t.as.admin, body: { aggregates: [], resource_provider_generation: 7 } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.errors[0].code, 'placement.concurrent_update');
    const cleared = await t.call('PUT', `/resource_providers/${rp.uuid}/aggregates`, { token: t.as.admin, body: { aggregates: [], resource_provider_generation: 0 } });
    assert.deepEqual(cleared.body, { aggregates: [], resource_provider_generation: 1 });
  });

  it('lists standard traits, creates and deletes custom ones, and sets a provider\'s traits with its generation', async () => {
    const compute = await t.call('GET', '/traits?name=startswith:COMPUTE_STATUS', { token: t.as.admin });
    assert.deepEqual(compute.body.traits, ['COMPUTE_STATUS_DISABLED']);
    const some = await t.call('GET', '/traits?name=in:HW_CPU_X86_SSE2,HW_CPU_X86_AVX2,NOT_A_TRAIT', { token: t.as.admin });
    assert.deepEqual(some.body.traits, ['HW_CPU_X86_AVX2', 'HW_CPU_X86_SSE2']);
    assert.equal((await t.call('PUT', '/traits/CUSTOM_T1', { token: t.as.admin })).status, 201);
    assert.equal((await t.call('PUT', '/traits/CUSTOM_T1', { token: t.as.admin })).status, 204);
    assert.equal((await t.call('GET', '/traits/CUSTOM_T1', { token: t.as.admin })).status, 204);
    assert.equal((await t.call('GET', '/traits/CUSTOM_NOPE', { token: t.as.admin })).status, 404);

    const rp = await t.provider('trait-host');
    const set = await t.call('PUT', `/resource_providers/${rp.uuid}/traits`, { token: t.as.service, body: { traits: ['CUSTOM_T1', 'HW_CPU_X86_SSE2'], resource_provider_generation: 0 } });
    assert.deepEqual(set.body, { traits: ['CUSTOM_T1', 'HW_CPU_X86_SSE2'], resource_provider_generation: 1 });
    const associated = await t.call('GET', '/traits?name=startswith:CUSTOM_T&associated=true', { token: t.as.admin });
    assert.deepEqual(associated.body.traits, ['CUSTOM_T1']);
    const inUse = await t.call('DELETE', '/traits/CUSTOM_T1', { token: t.as.admin });
    assert.equal(inUse.status, 409);
    assert.equal((await t.call('DELETE', `/resource_providers/${rp.uuid}/traits`, { token: t.as.admin })).status, 204);
    const after = await t.call('GET', `/resource_providers/${rp.uuid}/traits`, { token: t.as.admin });
    assert.deepEqual(after.body, { traits: [], resource_provider_generation: 2 });
    assert.equal((await t.call('DELETE', '/traits/CUSTOM_T1', { token: t.as.admin })).status, 204);
  });

  it('lists standard resource classes and manages custom ones (create, ensure, rename before 1.7, delete)', async () => {
    const all = await t.call('GET', '/resource_classes', { token: t.as.admin });
    const names = all.body.resource_classes.map((c: { name: string }) => c.name);
    assert.deepEqual(names.slice(0, 11), ['VCPU', 'MEMORY_MB', 'DISK_GB', 'PCI_DEVICE', 'SRIOV_NET_VF', 'NUMA_SOCKET', 'NUMA_CORE', 'NUMA_THREAD', 'NUMA_MEMORY_MB', 'IPV4_ADDRESS', 'VGPU']);
    assert.deepEqual(all.body.resource_classes[0].links, [{ rel: 'self', href: '/resource_classes/VCPU' }]);

    const created = await t.call('POST', '/resource_classes', { token: t.as.admin, body: { name: 'CUSTOM_FPGA' } });
    assert.equal(created.status, 201);
    assert.match(created.headers.get('location') ?? '', /\/resource_classes\/CUSTOM_FPGA$/);
    assert.equal((await t.call('PUT', '/resource_classes/CUSTOM_FPGA', { token: t.as.admin })).status, 204);
    assert.equal((await t.call('PUT', '/resource_classes/CUSTOM_MAGIC', { token: t.as.admin })).status, 201);

    const rp = await t.provider('fpga-host');
    await t.inventory(rp.uuid, { CUSTOM_FPGA: { total: 2 } });
    const renamed = await t.call('PUT', '/resource_classes/CUSTOM_FPGA', { token: t.as.admin, version: '1.6', body: { name: 'CUSTOM_FPGA_V2' } });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.deepEqual(renamed.body, { name: 'CUSTOM_FPGA_V2', links: [{ rel: 'self', href: '/resource_classes/CUSTOM_FPGA_V2' }] });
    const inv = await t.call('GET', `/resource_providers/${rp.uuid}/inventories`, { token: t.as.admin });
    assert.deepEqual(Object.keys(inv.body.inventories), ['CUSTOM_FPGA_V2'], 'the inventory follows the rename');

    assert.equal((await t.call('DELETE', '/resource_classes/CUSTOM_FPGA_V2', { token: t.as.admin })).status, 409);
    assert.equal((await t.call('DELETE', '/resource_classes/VCPU', { token: t.as.admin })).status, 400);
    assert.equal((await t.call('DELETE', '/resource_classes/CUSTOM_MAGIC', { token: t.as.admin })).status, 204);
    assert.equal((await t.call('GET', '/resource_classes/CUSTOM_MAGIC', { token: t.as.admin })).status, 404);
  });

  it('answers 404 for routes newer than the requested microversion and 405 with Allow for a wrong method', async () => {
    assert.equal((await t.call('GET', '/traits', { token: t.as.admin, version: '1.5' })).status, 404);
    assert.equal((await t.call('GET', '/resource_classes', { token: t.as.admin, version: '1.1' })).status, 404);
    assert.equal((await t.call('GET', '/allocation_candidates?resources=VCPU:1', { token: t.as.admin, version: '1.9' })).status, 404);
    const wrong = await t.call('PATCH', '/resource_providers', { token: t.as.admin });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, POST');
    assert.equal(wrong.body.errors[0].code, 'placement.undefined_code');
  });
});
