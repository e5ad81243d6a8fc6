// Placement's consumer side in process: claims (allocations) in every microversion's shape, usages, allocation
// candidates as the scheduler asks for them, and the reshaper.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startPlacement } from './test-placement.ts';
import type { TestPlacement } from './test-placement.ts';

describe('placement API: allocations, usages and candidates', () => {
  let t: TestPlacement;
  before(async () => { t = await startPlacement(); });
  after(() => t.close());

  const claim = (consumer: string, allocations: Record<string, Record<string, number>>, extra: Record<string, unknown> = {}) => ({
    allocations: Object.fromEntries(Object.entries(allocations).map(([rp, resources]) => [rp, { resources }])),
    project_id: t.projects.a, user_id: 'alice', consumer_generation: null, consumer_type: 'INSTANCE', ...extra,
  });

  it('claims for a new consumer, shows the claim with its generations, replaces it with the right generation, and deletes it', async () => {
    const cn = await t.provider('alloc-cn');
    await t.inventory(cn.uuid, { VCPU: { total: 4 }, MEMORY_MB: { total: 4096 } });
    const consumer = randomUUID();
    const put = await t.call('PUT', `/allocations/${consumer}`, { token: t.as.service, body: claim(consumer, { [cn.uuid]: { VCPU: 2, MEMORY_MB: 1024 } }) });
    assert.equal(put.status, 204, JSON.stringify(put.body));
    const shown = await t.call('GET', `/allocations/${consumer}`, { token: t.as.service });
    assert.deepEqual(shown.body, {
      allocations: { [cn.uuid]: { generation: 2, resources: { MEMORY_MB: 1024, VCPU: 2 } } },
      project_id: t.projects.a, user_id: 'alice', consumer_generation: 1, consumer_type: 'INSTANCE',
    });
    const at128 = await t.call('GET', `/allocations/${consumer}`, { token: t.as.service, version: '1.28' });
    assert.equal(at128.body.consumer_type, undefined);
    const at112 = await t.call('GET', `/allocations/${consumer}`, { token: t.as.service, version: '1.12' });
    assert.deepEqual(Object.keys(at112.body).sort(), ['allocations', 'project_id', 'user_id']);

    const resize = await t.call('PUT', `/allocations/${consumer}`, { token: t.as.service, body: claim(consumer, { [cn.uuid]: { VCPU: 4, MEMORY_MB: 2048 } }, { consumer_generation: 1 }) });
    assert.equal(resize.status, 204, 'the consumer\'s own claim does not count against its replacement');
    const byProvider = await t.call('GET', `/resource_providers/${cn.uuid}/allocations`, { token: t.as.admin });
    assert.deepEqual(byProvider.body, { allocations: { [consumer]: { resources: { MEMORY_MB: 2048, VCPU: 4 }, consumer_generation: 2 } }, resource_provider_generation: 3 });

    assert.equal((await t.call('DELETE', `/allocations/${consumer}`, { token: t.as.service })).status, 204);
    assert.deepEqual((await t.call('GET', `/allocations/${consumer}`, { token: t.as.service })).body, { allocations: {} });
    assert.equal((await t.call('DELETE', `/allocations/${consumer}`, { token: t.as.service })).status, 404);
    const usage = await t.call('GET', `/resource_providers/${cn.uuid}/usages`, { token: t.as.admin });
    assert.deepEqual(usage.body, { resource_provider_generation: 4, usages: { MEMORY_MB: 0, VCPU: 0 } });
  });

  it('removes a consumer\'s claim safely with an empty PUT at its generation (1.28+)', async () => {
    const cn = await t.provider('safe-delete-cn');
    await t.inventory(cn.uuid, { VCPU: { total: 4 } });
    const consumer = randomUUID();
    await t.call('PUT', `/allocations/${consumer}`, { token: t.as.service, body: claim(consumer, { [cn.uuid]: { VCPU: 1 } }) });
    const stale = await t.call('PUT', `/allocations/${consumer}`, { token: t.as.service, body: claim(consumer, {}, { consumer_generation: 0 }) });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.errors[0].code, 'placement.concurrent_update');
    const cleared = await t.call('PUT', `/allocations/${consumer}`, { token: t.as.service, body: claim(consumer, {}, { consumer_generation: 1 }) });
    assert.equal(cleared.status, 204);
    assert.deepEqual((await t.call('GET', `/allocations/${consumer}`, { token: t.as.service })).body, { allocations: {} });
  });

  it('accepts the older allocation shapes: a list before 1.12 (project and user from 1.8, defaults before)', async () => {
    const cn = await t.provider('old-shape-cn');
    await t.inventory(cn.uuid, { VCPU: { total: 8 } });
    const [c1, c2] = [randomUUID(), randomUUID()];
    const v10 = await t.call('PUT', `/allocations/${c1}`, { token: t.as.service, version: '1.0', body: { allocations: [{ resource_provider: { uuid: cn.uuid }, resources: { VCPU: 1 } }] } });
    assert.equal(v10.status, 204, JSON.stringify(v10.body));
    const v18 = await t.call('PUT', `/allocations/${c2}`, {
      token: t.as.service, version: '1.8', body: { allocations: [{ resource_provider: { uuid: cn.uuid }, resources: { VCPU: 2 } }], project_id: 'p8', user_id: 'u8' },
    });
    assert.equal(v18.status, 204);
    const shown = await t.call('GET', `/allocations/${c1}`, { token: t.as.service, version: '1.38' });
    assert.equal(shown.body.project_id, '00000000-0000-0000-0000-000000000000');
    assert.equal(shown.body.consumer_type, 'unknown');
    const v9 = await t.call('GET', '/usages?project_id=p8', { token: t.as.admin, version: '1.9' });
    assert.deepEqual(v9.body, { usages: { VCPU: 2 } });
  });

  it('moves a claim between consumers and providers in one POST /allocations (a migration)', async () => {
    const [src, dst] = [await t.provider('move-src'), await t.provider('move-dst')];
    await t.inventory(src.uuid, { VCPU: { total: 2 } });
    await t.inventory(dst.uuid, { VCPU: { total: 2 } });
    const [instance, migration] = [randomUUID(), randomUUID()];
    await t.call('PUT', `/allocations/${instance}`, { token: t.as.service, body: claim(instance, { [src.uuid]: { VCPU: 2 } }) });
    const moved = await t.call('POST', '/allocations', {
      token: t.as.service,
      body: {
        [migration]: claim(migration, { [src.uuid]: { VCPU: 2 } }, { consumer_type: 'MIGRATION' }),
        [instance]: claim(instance, { [dst.uuid]: { VCPU: 2 } }, { consumer_generation: 1 }),
      },
    });
    assert.equal(moved.status, 204, JSON.stringify(moved.body));
    assert.deepEqual(Object.keys((await t.call('GET', `/allocations/${instance}`, { token: t.as.admin })).body.allocations), [dst.uuid]);
    assert.deepEqual(Object.keys((await t.call('GET', `/allocations/${migration}`, { token: t.as.admin })).body.allocations), [src.uuid]);
    const usages = await t.call('GET', `/usages?project_id=${t.projects.a}`, { token: t.as.admin });
    assert.equal(usages.body.usages.MIGRATION.consumer_count, 1);
    assert.equal(usages.body.usages.MIGRATION.VCPU, 2);
    const all = await t.call('GET', `/usages?project_id=${t.projects.a}&consumer_type=all`, { token: t.as.admin });
    assert.ok(all.body.usages.all.consumer_count >= 2);
  });

  it('answers the scheduler\'s candidate query in the 1.39 shape, and sees a claim at once', async () => {
    const cn = await t.provider('sched-cn');
    await t.inventory(cn.uuid, { VCPU: { total: 2 }, MEMORY_MB: { total: 2048 }, DISK_GB: { total: 20 } });
    const numa = await t.provider('sched-cn-numa', { parent_provider_uuid: cn.uuid });
    await t.call('PUT', '/traits/CUSTOM_SCHED', { token: t.as.admin });
    await t.call('PUT', `/resource_providers/${cn.uuid}/traits`, { token: t.as.admin, body: { traits: ['CUSTOM_SCHED', 'HW_CPU_X86_AVX2'], resource_provider_generation: 1 } });

    const query = '/allocation_candidates?resources=VCPU:2,MEMORY_MB:512,DISK_GB:1&required=CUSTOM_SCHED&limit=10';
    const ac = await t.call('GET', query, { token: t.as.service });
    assert.equal(ac.status, 200, JSON.stringify(ac.body));
    assert.deepEqual(ac.body.allocation_requests, [{
      allocations: { [cn.uuid]: { resources: { DISK_GB: 1, MEMORY_MB: 512, VCPU: 2 } } }, mappings: { '': [cn.uuid] },
    }]);
    assert.deepEqual(ac.body.provider_summaries[cn.uuid], {
      resources: { DISK_GB: { capacity: 20, used: 0 }, MEMORY_MB: { capacity: 2048, used: 0 }, VCPU: { capacity: 2, used: 0 } },
      traits: ['CUSTOM_SCHED', 'HW_CPU_X86_AVX2'], parent_provider_uuid: null, root_provider_uuid: cn.uuid,
    });
    assert.deepEqual(ac.body.provider_summaries[numa.uuid], { resources: {}, traits: [], parent_provider_uuid: cn.uuid, root_provider_uuid: cn.uuid });

    const consumer = randomUUID();
    const claimed = await t.call('PUT', `/allocations/${consumer}`, { token: t.as.service, body: { ...ac.body.allocation_requests[0], project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' } });
    assert.equal(claimed.status, 204, 'an allocation request is a valid PUT body as is');
    assert.deepEqual((await t.call('GET', query, { token: t.as.service })).body, { allocation_requests: [], provider_summaries: {} });
  });

  it('shapes candidates per microversion: list form before 1.12, requested classes only before 1.27, no tree fields before 1.29', async () => {
    const cn = await t.provider('shape-cn');
    await t.call('PUT', '/traits/CUSTOM_SHAPE', { token: t.as.admin });
    await t.call('PUT', `/resource_providers/${cn.uuid}/traits`, { token: t.as.admin, body: { traits: ['CUSTOM_SHAPE'], resource_provider_generation: 0 } });
    await t.inventory(cn.uuid, { VCPU: { total: 4 }, MEMORY_MB: { total: 1024 } });
    const q = '/allocation_candidates?resources=VCPU:1';
    const mine = (body: { provider_summaries: Record<string, unknown> }) => body.provider_summaries[cn.uuid];

    const v110 = await t.call('GET', q, { token: t.as.service, version: '1.10' });
    const mineReq = v110.body.allocation_requests.find((r: { allocations: { resource_provider: { uuid: string } }[] }) => r.allocations[0].resource_provider.uuid === cn.uuid);
    assert.deepEqual(mineReq, { allocations: [{ resource_provider: { uuid: cn.uuid }, resources: { VCPU: 1 } }] });
    assert.deepEqual(mine(v110.body), { resources: { VCPU: { capacity: 4, used: 0 } } });
    assert.deepEqual(mine((await t.call('GET', q, { token: t.as.service, version: '1.17' })).body), { resources: { VCPU: { capacity: 4, used: 0 } }, traits: ['CUSTOM_SHAPE'] });
    assert.deepEqual(mine((await t.call('GET', q, { token: t.as.service, version: '1.27' })).body),
      { resources: { MEMORY_MB: { capacity: 1024, used: 0 }, VCPU: { capacity: 4, used: 0 } }, traits: ['CUSTOM_SHAPE'] });
    const v133 = await t.call('GET', q, { token: t.as.service, version: '1.33' });
    assert.equal(v133.body.allocation_requests[0].mappings, undefined);
  });

  it('resolves granular groups through the API: an SR-IOV VF on the physnet the port needs, isolated per group', async () => {
    const cn = await t.provider('sriov-cn');
    await t.inventory(cn.uuid, { VCPU: { total: 8 } });
    const [pf1, pf2] = [await t.provider('sriov-pf1', { parent_provider_uuid: cn.uuid }), await t.provider('sriov-pf2', { parent_provider_uuid: cn.uuid })];
    await t.call('PUT', '/traits/CUSTOM_PHYSNET_A', { token: t.as.admin });
    for (const pf of [pf1, pf2]) await t.inventory(pf.uuid, { SRIOV_NET_VF: { total: 2 } });
    await t.call('PUT', `/resource_providers/${pf2.uuid}/traits`, { token: t.as.admin, body: { traits: ['CUSTOM_PHYSNET_A'], resource_provider_generation: 1 } });
    const r = await t.call('GET', `/allocation_candidates?resources=VCPU:1&resources_PORT=SRIOV_NET_VF:1&required_PORT=CUSTOM_PHYSNET_A&in_tree=${cn.uuid}`, { token: t.as.service });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.allocation_requests, [{
      allocations: { [cn.uuid]: { resources: { VCPU: 1 } }, [pf2.uuid]: { resources: { SRIOV_NET_VF: 1 } } },
      mappings: { '': [cn.uuid], _PORT: [pf2.uuid] },
    }]);
    const twoGroups = await t.call('GET', `/allocation_candidates?resources1=SRIOV_NET_VF:2&resources2=SRIOV_NET_VF:2&in_tree=${cn.uuid}&group_policy=isolate&resources=VCPU:1`, { token: t.as.service });
    assert.equal(twoGroups.body.allocation_requests.length, 2, 'pf1 then pf2, and pf2 then pf1');
  });

  it('reshapes: moves VCPU and the claims on it from a host to its new NUMA child atomically', async () => {
    const cn = await t.provider('reshape-cn');
    await t.inventory(cn.uuid, { VCPU: { total: 8 }, MEMORY_MB: { total: 1024 } });
    const consumer = randomUUID();
    await t.call('PUT', `/allocations/${consumer}`, { token: t.as.service, body: claim(consumer, { [cn.uuid]: { VCPU: 2, MEMORY_MB: 256 } }) });
    const numa = await t.provider('reshape-numa', { parent_provider_uuid: cn.uuid });
    const cnGen = (await t.call('GET', `/resource_providers/${cn.uuid}`, { token: t.as.admin })).body.generation;
    const reshaped = await t.call('POST', '/reshaper', {
      token: t.as.service,
      body: {
        inventories: {
          [cn.uuid]: { resource_provider_generation: cnGen, inventories: { MEMORY_MB: { total: 1024 } } },
          [numa.uuid]: { resource_provider_generation: 0, inventories: { VCPU: { total: 8 } } },
        },
        allocations: { [consumer]: claim(consumer, { [cn.uuid]: { MEMORY_MB: 256 }, [numa.uuid]: { VCPU: 2 } }, { consumer_generation: 1 }) },
      },
    });
    assert.equal(reshaped.status, 204, JSON.stringify(reshaped.body));
    const after = await t.call('GET', `/allocations/${consumer}`, { token: t.as.admin });
    assert.deepEqual(Object.fromEntries(Object.entries(after.body.allocations).map(([rp, a]) => [rp, (a as { resources: unknown }).resources])),
      { [cn.uuid]: { MEMORY_MB: 256 }, [numa.uuid]: { VCPU: 2 } });
    assert.deepEqual(Object.keys((await t.call('GET', `/resource_providers/${cn.uuid}/inventories`, { token: t.as.admin })).body.inventories), ['MEMORY_MB']);
  });
});
