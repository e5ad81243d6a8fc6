// The Placement client against the running API, the way Compute uses it: an agent reports its provider tree and
// inventory, the scheduler asks for candidates and claims one, retrying on generation conflicts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startPlacement } from '../api/test-placement.ts';
import type { TestPlacement } from '../api/test-placement.ts';
import { candidateQueryString, createPlacementClient, isConcurrentUpdate, PlacementRequestError } from './client.ts';
import type { PlacementClient } from './client.ts';

describe('placement client', () => {
  let t: TestPlacement;
  let client: PlacementClient;
  before(async () => {
    t = await startPlacement();
    client = createPlacementClient({ endpoint: t.url, token: async () => t.as.service });
  });
  after(() => t.close());

  it('ensures a provider tree once even when agents race, and reports inventory without needless generation bumps', async () => {
    const [node, numa] = [randomUUID(), randomUUID()];
    const both = await Promise.all([1, 2, 3].map(() => client.ensureResourceProvider({ uuid: node, name: `compute-${node}` })));
    assert.ok(both.every((p) => p.uuid === node));
    const child = await client.ensureResourceProvider({ uuid: numa, name: `numa-${numa}`, parentUuid: node });
    assert.equal(child.root_provider_uuid, node);

    const inventory = { VCPU: { total: 16, allocation_ratio: 4 }, MEMORY_MB: { total: 65536, reserved: 512 }, DISK_GB: { total: 1000 } };
    const first = await client.setInventory(node, inventory);
    assert.equal(first.resource_provider_generation, 1);
    const again = await client.setInventory(node, inventory);
    assert.equal(again.resource_provider_generation, 1, 'an unchanged report writes nothing');
    const racing = await Promise.all([client.setInventory(node, { VCPU: { total: 8 } }), client.setInventory(node, { VCPU: { total: 12 } })]);
    assert.deepEqual(racing.map((r) => Object.keys(r.inventories)), [['VCPU'], ['VCPU']], 'both writers got through by retrying on conflict');

    assert.equal(await client.setTraits(node, ['CUSTOM_FAKE_HOST', 'COMPUTE_NET_ATTACH_INTERFACE']), 4);
    assert.equal(await client.setTraits(node, ['COMPUTE_NET_ATTACH_INTERFACE', 'CUSTOM_FAKE_HOST']), 4);
    const agg = randomUUID();
    assert.equal(await client.setAggregates(node, [agg]), 5);
    assert.deepEqual((await client.listProviders({ inTree: numa })).map((p) => p.uuid).sort(), [node, numa].sort());
  });

  it('schedules: candidates, a claim with consumer generation null, a conflicting claim refused, then release', async () => {
    const node = randomUUID();
    await client.ensureResourceProvider({ uuid: node, name: `sched-${node}` });
    await client.setInventory(node, { VCPU: { total: 2 }, MEMORY_MB: { total: 2048 }, DISK_GB: { total: 20 } });
    await client.setTraits(node, ['CUSTOM_CLIENT_SCHED']);
    const query = { resources: { VCPU: 2, MEMORY_MB: 1024, DISK_GB: 10 }, required: ['CUSTOM_CLIENT_SCHED', '!COMPUTE_STATUS_DISABLED'], limit: 5 };
    const candidates = await client.getAllocationCandidates(query);
    assert.equal(candidates.allocation_requests.length, 1);
    assert.deepEqual(candidates.provider_summaries[node].resources.VCPU, { capacity: 2, used: 0 });

    const server = randomUUID();
    const body = { ...candidates.allocation_requests[0], project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' };
    await client.putAllocations(server, body);
    const held = await client.getAllocations(server);
    assert.equal(held.consumer_generation, 1);
    await assert.rejects(client.putAllocations(server, body), (err: unknown) => {
      assert.ok(isConcurrentUpdate(err));
      assert.ok(err instanceof PlacementRequestError && err.status === 409);
      return true;
    });
    const other = randomUUID();
    await assert.rejects(client.putAllocations(other, { ...body }), (err: unknown) => err instanceof PlacementRequestError && err.status === 409 && !isConcurrentUpdate(err));
    assert.deepEqual((await client.getAllocationCandidates(query)).allocation_requests, [], 'the claim is visible at once');

    assert.equal(await client.deleteAllocations(server), true);
    assert.equal(await client.deleteAllocations(server), false);
    assert.equal((await client.getAllocationCandidates(query)).allocation_requests.length, 1);
    assert.equal(await client.deleteResourceProvider(node), true);
    assert.equal(await client.deleteResourceProvider(node), false);
    assert.equal(await client.getProvider(node), undefined);
  });

  it('writes granular candidate queries the way Placement parses them', () => {
    const agg1 = randomUUID();
    const agg2 = randomUUID();
    const q = candidateQueryString({
      resources: { VCPU: 1, MEMORY_MB: 512 }, required: ['HW_CPU_X86_AVX2'], memberOf: [[agg1, agg2], [agg1]],
      groups: { _NET: { resources: { SRIOV_NET_VF: 1 }, required: ['CUSTOM_PHYSNET1'] } }, groupPolicy: 'isolate', limit: 10, rootRequired: ['!COMPUTE_STATUS_DISABLED'],
    });
    assert.equal(decodeURIComponent(q.replaceAll('+', ' ')),
      `resources=VCPU:1,MEMORY_MB:512&required=HW_CPU_X86_AVX2&member_of=in:${agg1},${agg2}&member_of=${agg1}`
      + '&resources_NET=SRIOV_NET_VF:1&required_NET=CUSTOM_PHYSNET1&group_policy=isolate&limit=10&root_required=!COMPUTE_STATUS_DISABLED');
  });

  it('reports an unreachable Placement as 503, not as a crash', async () => {
    const dead = createPlacementClient({ endpoint: 'http://127.0.0.1:9', token: async () => 'x', timeoutMs: 2000 });
    await assert.rejects(dead.getProvider(randomUUID()), (err: unknown) => (err as { status?: number }).status === 503);
  });
});
