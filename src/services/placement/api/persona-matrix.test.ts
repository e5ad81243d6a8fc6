// Every route against every persona: admins and services do everything, system readers read, a project's readers see
// only their project's usages, and everyone else gets 403 (401 without a token) — with nothing changed by a refusal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startPlacement } from './test-placement.ts';
import type { PersonaName, TestPlacement } from './test-placement.ts';

type Kind = 'read' | 'write';

describe('placement API: who may do what', () => {
  let t: TestPlacement;
  let rp: { uuid: string };
  const consumer = randomUUID();
  before(async () => {
    t = await startPlacement();
    rp = await t.provider('matrix-host');
    await t.inventory(rp.uuid, { VCPU: { total: 64 } });
    await t.call('PUT', `/allocations/${consumer}`, {
      token: t.as.admin, body: { allocations: { [rp.uuid]: { resources: { VCPU: 1 } } }, project_id: t.projects.a, user_id: 'alice', consumer_generation: null, consumer_type: 'INSTANCE' },
    });
  });
  after(() => t.close());

  /** Requests that change nothing when refused and little when allowed (idempotent or self-contained). */
  const routes = (): [Kind, string, string, unknown?][] => [
    ['read', 'GET', '/resource_providers'],
    ['read', 'GET', `/resource_providers/${rp.uuid}`],
    ['read', 'GET', `/resource_providers/${rp.uuid}/inventories`],
    ['read', 'GET', `/resource_providers/${rp.uuid}/inventories/VCPU`],
    ['read', 'GET', `/resource_providers/${rp.uuid}/usages`],
    ['read', 'GET', `/resource_providers/${rp.uuid}/allocations`],
    ['read', 'GET', `/resource_providers/${rp.uuid}/aggregates`],
    ['read', 'GET', `/resource_providers/${rp.uuid}/traits`],
    ['read', 'GET', '/resource_classes'],
    ['read', 'GET', '/resource_classes/VCPU'],
    ['read', 'GET', '/traits'],
    ['read', 'GET', '/traits/HW_CPU_X86_AVX2'],
    ['read', 'GET', `/allocations/${consumer}`],
    ['read', 'GET', '/allocation_candidates?resources=VCPU:1'],
    ['write', 'POST', '/resource_providers', { name: `matrix-${randomUUID()}` }],
    ['write', 'PUT', `/resource_providers/${rp.uuid}`, { name: 'matrix-host' }],
    ['write', 'PUT', '/resource_classes/CUSTOM_MATRIX'],
    ['write', 'PUT', '/traits/CUSTOM_MATRIX'],
    ['write', 'PUT', `/allocations/${randomUUID()}`, { allocations: {}, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' }],
    ['write', 'POST', '/allocations', { [randomUUID()]: { allocations: {}, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' } }],
    ['write', 'DELETE', `/allocations/${randomUUID()}`],
    ['write', 'DELETE', '/traits/CUSTOM_NEVER'],
    ['write', 'DELETE', '/resource_classes/CUSTOM_NEVER'],
    ['write', 'POST', '/reshaper', { inventories: { [randomUUID()]: { resource_provider_generation: 0, inventories: {} } }, allocations: {} }],
  ];
  const allowed: Record<PersonaName, Kind[]> = { admin: ['read', 'write'], service: ['read', 'write'], sysreader: ['read'], member: [], reader: [], other: [] };

  it('allows admins and services everything, system readers reads, and project personas nothing', async () => {
    for (const persona of Object.keys(allowed) as PersonaName[]) {
      for (const [kind, method, path, body] of routes()) {
        const r = await t.call(method, path, { token: t.as[persona], body });
        const where = `${persona} ${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`;
        if (allowed[persona].includes(kind)) assert.ok(r.status !== 401 && r.status !== 403 && r.status < 500, where);
        else {
          assert.equal(r.status, 403, where);
          assert.match(r.body.errors[0].detail, /Policy doesn't allow placement:/, where);
        }
      }
    }
  });

  it('shows a project its own usages to its readers and members, but not another project\'s', async () => {
    const usages = (persona: PersonaName, project: string) => t.call('GET', `/usages?project_id=${project}`, { token: t.as[persona] });
    assert.deepEqual((await usages('reader', t.projects.a)).body, { usages: { INSTANCE: { VCPU: 1, consumer_count: 1 } } });
    assert.equal((await usages('member', t.projects.a)).status, 200);
    assert.equal((await usages('other', t.projects.a)).status, 403);
    assert.equal((await usages('reader', t.projects.b)).status, 403);
    assert.equal((await usages('sysreader', t.projects.a)).status, 200);
  });

  it('asks for a token on everything but the version document', async () => {
    for (const [, method, path, body] of routes()) {
      const r = await t.call(method, path, { body });
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri="http:\/\/127\.0\.0\.1:\d+\/v3"$/);
    }
    assert.equal((await t.call('GET', '/', {})).status, 200);
    assert.equal((await t.call('GET', '/resource_providers', { token: 'not-a-token' })).status, 401);
  });
});
