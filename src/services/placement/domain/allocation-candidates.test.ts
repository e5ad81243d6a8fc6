// The candidate search on hand-built provider graphs: trees, sharing providers, granular groups and their policies.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findAllocationCandidates } from './allocation-candidates.ts';
import type { AllocationRequest, CandidateSnapshot, ResourceState } from './allocation-candidates.ts';
import type { RequestGroup, RequestWide } from './request-groups.ts';

type Spec = { parent?: string; traits?: string[]; aggs?: string[]; inv?: Record<string, Partial<ResourceState> & { total: number }> };

/** A snapshot from a compact description; uuids are the names. */
function graph(specs: Record<string, Spec>): CandidateSnapshot {
  const rootOf = (name: string): string => (specs[name].parent ? rootOf(specs[name].parent!) : name);
  const resources = new Map<string, Map<string, ResourceState>>();
  for (const [name, s] of Object.entries(specs)) {
    resources.set(name, new Map(Object.entries(s.inv ?? {}).map(([rc, i]) => [rc, {
      reserved: 0, minUnit: 1, maxUnit: 2147483647, stepSize: 1, allocationRatio: 1, used: 0, ...i,
    }])));
  }
  return {
    providers: Object.entries(specs).map(([name, s]) => ({
      uuid: name, parentUuid: s.parent ?? null, rootUuid: rootOf(name), traits: new Set(s.traits ?? []), aggregates: new Set(s.aggs ?? []),
    })),
    resources,
  };
}

const group = (suffix: string, resources: Record<string, number>, extra: Partial<RequestGroup> = {}): RequestGroup => ({
  suffix, resources: new Map(Object.entries(resources)), requiredTraits: [], forbiddenTraits: new Set(), memberOf: [], forbiddenAggregates: new Set(), ...extra,
});
const wide = (extra: Partial<RequestWide> = {}): RequestWide => ({
  rootRequired: new Set(), rootForbidden: new Set(), sameSubtrees: [], nestedAware: true, maxCandidates: -1, randomize: false, ...extra,
});

/** Each candidate as "provider:CLASS=n provider:CLASS=n", sorted, for readable assertions. */
function flat(requests: AllocationRequest[]): string[] {
  return requests.map((r) => [...r.allocations].flatMap(([p, m]) => [...m].map(([rc, n]) => `${p}:${rc}=${n}`)).sort().join(' ')).sort();
}

describe('allocation candidates', () => {
  it('offers every provider with room for all resources, and none that lacks capacity, units or step', () => {
    const g = graph({
      cn1: { inv: { VCPU: { total: 8 }, MEMORY_MB: { total: 2048 } } },
      cn2: { inv: { VCPU: { total: 8, used: 7 }, MEMORY_MB: { total: 2048 } } },
      cn3: { inv: { VCPU: { total: 8, maxUnit: 1 }, MEMORY_MB: { total: 2048 } } },
      cn4: { inv: { VCPU: { total: 8 }, MEMORY_MB: { total: 2048, stepSize: 1000 } } },
      cn5: { inv: { VCPU: { total: 4, reserved: 3, allocationRatio: 2 }, MEMORY_MB: { total: 2048 } } },
    });
    assert.deepEqual(flat(findAllocationCandidates(g, [group('', { VCPU: 2, MEMORY_MB: 512 })], wide())),
      ['cn1:MEMORY_MB=512 cn1:VCPU=2', 'cn5:MEMORY_MB=512 cn5:VCPU=2']);
  });

  it('combines providers of one tree for the unsuffixed group, but not before microversion 1.29', () => {
    const g = graph({
      cn: { inv: { VCPU: { total: 4 } } },
      pf1: { parent: 'cn', inv: { SRIOV_NET_VF: { total: 2 } } },
      pf2: { parent: 'cn', inv: { SRIOV_NET_VF: { total: 1 } } },
    });
    const req = [group('', { VCPU: 1, SRIOV_NET_VF: 1 })];
    assert.deepEqual(flat(findAllocationCandidates(g, req, wide())), ['cn:VCPU=1 pf1:SRIOV_NET_VF=1', 'cn:VCPU=1 pf2:SRIOV_NET_VF=1']);
    assert.deepEqual(findAllocationCandidates(g, req, wide({ nestedAware: false })), []);
  });

  it('requires traits collectively of the providers that serve the unsuffixed group, and forbids them on any', () => {
    const g = graph({
      cn: { traits: ['HW_CPU_X86_AVX2'], inv: { VCPU: { total: 4 } } },
      pf1: { parent: 'cn', inv: { SRIOV_NET_VF: { total: 2 } } },
      pf2: { parent: 'cn', traits: ['CUSTOM_SLOW'], inv: { SRIOV_NET_VF: { total: 2 } } },
    });
    const req = (extra: Partial<RequestGroup>) => [group('', { VCPU: 1, SRIOV_NET_VF: 1 }, extra)];
    assert.deepEqual(flat(findAllocationCandidates(g, req({ requiredTraits: [['HW_CPU_X86_AVX2']], forbiddenTraits: new Set(['CUSTOM_SLOW']) }), wide())),
      ['cn:VCPU=1 pf1:SRIOV_NET_VF=1']);
    assert.deepEqual(flat(findAllocationCandidates(g, req({ requiredTraits: [['CUSTOM_SLOW', 'CUSTOM_FAST']] }), wide())), ['cn:VCPU=1 pf2:SRIOV_NET_VF=1']);
  });

  it('lets a sharing provider serve the trees of its aggregates', () => {
    const g = graph({
      cn1: { aggs: ['agg'], inv: { VCPU: { total: 4 } } },
      cn2: { inv: { VCPU: { total: 4 } } },
      nfs: { aggs: ['agg'], traits: ['MISC_SHARES_VIA_AGGREGATE'], inv: { DISK_GB: { total: 100 } } },
    });
    const found = findAllocationCandidates(g, [group('', { VCPU: 1, DISK_GB: 10 })], wide());
    assert.deepEqual(flat(found), ['cn1:VCPU=1 nfs:DISK_GB=10']);
  });

  it('puts each granular group on one provider, and on distinct ones under group_policy=isolate', () => {
    const g = graph({
      cn: { inv: { VCPU: { total: 4 } } },
      pf1: { parent: 'cn', traits: ['CUSTOM_PHYSNET1'], inv: { SRIOV_NET_VF: { total: 4 } } },
      pf2: { parent: 'cn', traits: ['CUSTOM_PHYSNET1'], inv: { SRIOV_NET_VF: { total: 4 } } },
    });
    const groups = [group('', { VCPU: 1 }), group('1', { SRIOV_NET_VF: 1 }, { requiredTraits: [['CUSTOM_PHYSNET1']] }), group('2', { SRIOV_NET_VF: 1 })];
    assert.equal(findAllocationCandidates(g, groups, wide({ groupPolicy: 'none' })).length, 4);
    const isolated = findAllocationCandidates(g, groups, wide({ groupPolicy: 'isolate' }));
    assert.deepEqual(flat(isolated), ['cn:VCPU=1 pf1:SRIOV_NET_VF=1 pf2:SRIOV_NET_VF=1', 'cn:VCPU=1 pf1:SRIOV_NET_VF=1 pf2:SRIOV_NET_VF=1']);
    assert.deepEqual(isolated.map((r) => [...r.mappings.get('1')!, ...r.mappings.get('2')!].join(',')).sort(), ['pf1,pf2', 'pf2,pf1']);
  });

  it('sums groups that land on one provider before checking its capacity', () => {
    const g = graph({ cn: { inv: { VCPU: { total: 3 } } } });
    const groups = [group('1', { VCPU: 2 }), group('2', { VCPU: 2 })];
    assert.deepEqual(findAllocationCandidates(g, groups, wide({ groupPolicy: 'none' })), []);
    assert.deepEqual(flat(findAllocationCandidates(graph({ cn: { inv: { VCPU: { total: 4 } } } }), groups, wide({ groupPolicy: 'none' }))), ['cn:VCPU=4']);
  });

  it('keeps only trees whose root has the root_required traits', () => {
    const g = graph({
      a: { traits: ['CUSTOM_GOLD'], inv: { VCPU: { total: 4 } } },
      b: { inv: { VCPU: { total: 4 } } },
      c: { traits: ['CUSTOM_GOLD', 'COMPUTE_STATUS_DISABLED'], inv: { VCPU: { total: 4 } } },
    });
    const found = findAllocationCandidates(g, [group('', { VCPU: 1 })], wide({ rootRequired: new Set(['CUSTOM_GOLD']), rootForbidden: new Set(['COMPUTE_STATUS_DISABLED']) }));
    assert.deepEqual(flat(found), ['a:VCPU=1']);
  });

  it('honours same_subtree with a resourceless group naming the common ancestor', () => {
    const g = graph({
      cn: { inv: {} },
      numa0: { parent: 'cn', traits: ['HW_NUMA_ROOT'], inv: { VCPU: { total: 2 } } },
      numa1: { parent: 'cn', traits: ['HW_NUMA_ROOT'], inv: { VCPU: { total: 2 } } },
      gpu0: { parent: 'numa0', inv: { VGPU: { total: 1 } } },
    });
    const groups = [
      group('_CPU', { VCPU: 1 }), group('_GPU', { VGPU: 1 }),
      group('_NUMA', {}, { requiredTraits: [['HW_NUMA_ROOT']] }),
    ];
    const found = findAllocationCandidates(g, groups, wide({ groupPolicy: 'none', sameSubtrees: [['_CPU', '_GPU', '_NUMA']] }));
    assert.deepEqual(flat(found), ['gpu0:VGPU=1 numa0:VCPU=1']);
    assert.deepEqual(found[0].mappings.get('_NUMA'), ['numa0']);
  });

  it('applies member_of to the provider or to the root of its tree, and forbidden aggregates to both', () => {
    const g = graph({
      cn1: { aggs: ['az1'], inv: { VCPU: { total: 4 } } },
      pf1: { parent: 'cn1', inv: { SRIOV_NET_VF: { total: 4 } } },
      cn2: { aggs: ['az2'], inv: { VCPU: { total: 4 } } },
    });
    assert.deepEqual(flat(findAllocationCandidates(g, [group('', { SRIOV_NET_VF: 1 }, { memberOf: [['az1']] })], wide())), ['pf1:SRIOV_NET_VF=1']);
    assert.deepEqual(flat(findAllocationCandidates(g, [group('', { VCPU: 1 }, { forbiddenAggregates: new Set(['az1']) })], wide())), ['cn2:VCPU=1']);
  });

  it('stops at the limit and at the operator cap', () => {
    const specs: Record<string, Spec> = {};
    for (let i = 0; i < 20; i++) specs[`cn${String(i).padStart(2, '0')}`] = { inv: { VCPU: { total: 1 } } };
    const g = graph(specs);
    assert.equal(findAllocationCandidates(g, [group('', { VCPU: 1 })], wide({ limit: 5 })).length, 5);
    assert.equal(findAllocationCandidates(g, [group('', { VCPU: 1 })], wide({ maxCandidates: 7 })).length, 7);
    assert.equal(findAllocationCandidates(g, [group('', { VCPU: 1 })], wide({ limit: 5, randomize: true })).length, 5);
  });
});
