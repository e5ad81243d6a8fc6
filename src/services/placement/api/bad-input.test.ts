// Bad input never reaches a 500 or changes data: every refusal is a 4xx in Placement's error format, with the code
// clients match on and a detail that says what was wrong.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startPlacement } from './test-placement.ts';
import type { CallOptions, Reply, TestPlacement } from './test-placement.ts';

/**
 * Asserts Placement's error body: exactly status, title, detail, code, request_id (no code before microversion 1.23);
 * the code and the detail given.
 */
function assertError(r: Reply, status: number, code: string | undefined, detail: RegExp, what: string): void {
  const where = `${what} -> ${r.status} ${JSON.stringify(r.body)}`;
  assert.equal(r.status, status, where);
  assert.deepEqual(Object.keys(r.body ?? {}), ['errors'], where);
  assert.equal(r.body.errors.length, 1, where);
  const e = r.body.errors[0];
  assert.deepEqual(Object.keys(e).sort(), [...(code ? ['code'] : []), 'detail', 'request_id', 'status', 'title'], where);
  assert.equal(e.status, status, where);
  assert.equal(e.code, code, where);
  assert.equal(e.request_id, r.headers.get('x-openstack-request-id'), where);
  assert.match(e.detail, detail, where);
}

const UNDEFINED = 'placement.undefined_code';

describe('placement API: bad input', () => {
  let t: TestPlacement;
  let host: { uuid: string };
  let parent: { uuid: string };
  let consumer: string;
  before(async () => {
    t = await startPlacement();
    host = await t.provider('bad-host');
    await t.inventory(host.uuid, { VCPU: { total: 4, step_size: 1 }, MEMORY_MB: { total: 1024, step_size: 256, max_unit: 512 } });
    parent = await t.provider('bad-parent');
    await t.provider('bad-child', { parent_provider_uuid: parent.uuid });
    consumer = randomUUID();
    const r = await t.call('PUT', `/allocations/${consumer}`, {
      token: t.as.service, body: { allocations: { [host.uuid]: { resources: { VCPU: 2 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' },
    });
    assert.equal(r.status, 204);
  });
  after(() => t.close());

  /** Everything a refused request could have changed. */
  async function snapshot(): Promise<unknown> {
    const get = async (path: string) => (await t.call('GET', path, { token: t.as.admin })).body;
    const providers = (await get('/resource_providers')).resource_providers as { uuid: string }[];
    const out: Record<string, unknown> = { providers, classes: await get('/resource_classes'), traits: await get('/traits?name=startswith:CUSTOM_') };
    for (const p of providers) {
      for (const sub of ['inventories', 'traits', 'aggregates', 'allocations', 'usages']) out[`${p.uuid}/${sub}`] = await get(`/resource_providers/${p.uuid}/${sub}`);
    }
    out.consumer = await get(`/allocations/${consumer}`);
    return out;
  }
  async function refused(cases: [string, string, CallOptions, number, string, RegExp][]): Promise<void> {
    const before = await snapshot();
    for (const [method, path, opts, status, code, detail] of cases) {
      const withCode = !opts.version || Number(opts.version.split('.')[1]) >= 23;
      assertError(await t.call(method, path, { token: t.as.admin, ...opts }), status, withCode ? code : undefined, detail, `${method} ${path} ${JSON.stringify(opts.body ?? opts.raw ?? '')}`);
    }
    assert.deepEqual(await snapshot(), before, 'a refused request changed data');
  }

  it('refuses malformed resources= queries with the expected form', async () => {
    await refused([
      ['GET', '/allocation_candidates?resources=VCPU', {}, 400, UNDEFINED, /Badly formed resources parameter\. Expected .* Got: VCPU\./],
      ['GET', '/allocation_candidates?resources=VCPU:x', {}, 400, UNDEFINED, /VCPU expected positive integer amount\. Got: x/],
      ['GET', '/allocation_candidates?resources=VCPU:0', {}, 400, UNDEFINED, /requires amount >= 1\. Got: 0/],
      ['GET', '/allocation_candidates?resources=VCPU:-2', {}, 400, UNDEFINED, /requires amount >= 1\. Got: -2/],
      ['GET', '/allocation_candidates?resources=', {}, 400, UNDEFINED, /Got: empty string/],
      ['GET', '/allocation_candidates?resources=VCPU:1:2', {}, 400, UNDEFINED, /Badly formed resources parameter/],
      ['GET', '/resource_providers?resources=VCPU:two', {}, 400, UNDEFINED, /expected positive integer amount/],
      ['GET', '/allocation_candidates', { version: '1.24' }, 400, UNDEFINED, /'resources' is a required property/],
      ['GET', '/allocation_candidates', {}, 400, 'placement.query.missing_value', /at least one resources/],
    ]);
  });

  it('refuses unknown resource classes and traits wherever they are named', async () => {
    const claim = { allocations: { [host.uuid]: { resources: { CUSTOM_NOPE: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' };
    await refused([
      ['GET', '/allocation_candidates?resources=CUSTOM_NOPE:1', {}, 400, UNDEFINED, /No such resource class CUSTOM_NOPE/],
      ['GET', '/resource_providers?resources=CUSTOM_NOPE:1', {}, 400, UNDEFINED, /Invalid resource class in resources parameter/],
      ['PUT', `/resource_providers/${host.uuid}/inventories`, { body: { resource_provider_generation: 2, inventories: { CUSTOM_NOPE: { total: 1 } } } }, 400, UNDEFINED, /No such resource class CUSTOM_NOPE/],
      ['PUT', `/allocations/${randomUUID()}`, { body: claim }, 400, UNDEFINED, /No such resource class CUSTOM_NOPE/],
      ['GET', '/allocation_candidates?resources=VCPU:1&required=CUSTOM_NOPE', {}, 400, UNDEFINED, /No such trait\(s\): CUSTOM_NOPE/],
      ['GET', '/resource_providers?required=CUSTOM_NOPE', {}, 400, UNDEFINED, /Invalid trait\(s\) in "required" parameter/],
      ['PUT', `/resource_providers/${host.uuid}/traits`, { body: { traits: ['CUSTOM_NOPE'], resource_provider_generation: 2 } }, 400, UNDEFINED, /No such trait CUSTOM_NOPE/],
      ['PUT', '/traits/lowercase_trait', {}, 400, UNDEFINED, /must be no longer than 255 characters, start with the prefix "CUSTOM_"/],
      ['POST', '/resource_classes', { body: { name: 'FPGA_NOT_CUSTOM' } }, 400, UNDEFINED, /does not match/],
      ['POST', '/resource_classes', { body: { name: 'VCPU' } }, 400, UNDEFINED, /does not match/],
      ['DELETE', '/resource_classes/MEMORY_MB', {}, 400, UNDEFINED, /Cannot delete standard resource class MEMORY_MB/],
      ['DELETE', '/traits/HW_CPU_X86_AVX2', {}, 400, UNDEFINED, /Cannot delete standard trait/],
    ]);
  });

  it('refuses impossible inventories: zero or negative totals, reserved above total, min_unit above max_unit', async () => {
    const put = (inv: Record<string, unknown>) => ({ body: { resource_provider_generation: 2, inventories: { VCPU: inv } } });
    const inv = `/resource_providers/${host.uuid}/inventories`;
    await refused([
      ['PUT', inv, put({ total: -1 }), 400, UNDEFINED, /-1 is less than the minimum of 1 \(at inventories\.VCPU\.total\)/],
      ['PUT', inv, put({ total: 0 }), 400, UNDEFINED, /0 is less than the minimum of 1/],
      ['PUT', inv, put({ total: 8, reserved: -1 }), 400, UNDEFINED, /less than the minimum of 0/],
      ['PUT', inv, put({ total: 8, allocation_ratio: -1.5 }), 400, UNDEFINED, /less than the minimum of 0/],
      ['PUT', inv, put({ total: 8, reserved: 9 }), 400, UNDEFINED, /The reserved value is greater than total/],
      ['PUT', inv, put({ total: 8, min_unit: 4, max_unit: 2 }), 400, UNDEFINED, /min_unit \(4\) is greater than max_unit \(2\)/],
      ['PUT', inv, put({ total: '8' }), 400, UNDEFINED, /'8' is not of type 'integer'/],
      ['PUT', inv, put({ total: 8, colour: 'red' }), 400, UNDEFINED, /Additional properties are not allowed \('colour' was unexpected\)/],
      ['PUT', inv, { body: { inventories: {} } }, 400, UNDEFINED, /'resource_provider_generation' is a required property/],
      ['PUT', `${inv}/VCPU`, { body: { total: 8, resource_provider_generation: 2, min_unit: 9, max_unit: 8 } }, 400, UNDEFINED, /min_unit/],
      ['PUT', `${inv}/DISK_GB`, { body: { total: 8, resource_provider_generation: 2 } }, 400, UNDEFINED, /No inventory record with resource class/],
      ['POST', inv, { body: { resource_class: 'VCPU', total: 8 } }, 409, 'placement.concurrent_update', /already exists/],
    ]);
  });

  it('refuses claims over capacity or against the inventory\'s units, and for providers or classes it lacks', async () => {
    const put = (resources: Record<string, number>, rp = host.uuid) => ({
      body: { allocations: { [rp]: { resources } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' },
    });
    const fresh = () => `/allocations/${randomUUID()}`;
    await refused([
      ['PUT', fresh(), put({ VCPU: 3 }), 409, UNDEFINED, /'VCPU' on resource provider .* would exceed the capacity: 3 requested, 2 used by others, capacity 4/],
      ['PUT', fresh(), put({ MEMORY_MB: 1024 }), 409, UNDEFINED, /would violate inventory constraints: 1024 requested, min_unit 1, max_unit 512, step_size 256/],
      ['PUT', fresh(), put({ MEMORY_MB: 100 }), 409, UNDEFINED, /step_size 256/],
      ['PUT', fresh(), put({ DISK_GB: 1 }), 409, UNDEFINED, /Inventory for 'DISK_GB' on resource provider .* invalid/],
      ['PUT', fresh(), put({ VCPU: 1 }, randomUUID()), 400, UNDEFINED, /Allocation for resource provider '.*' that does not exist/],
      ['PUT', fresh(), put({ VCPU: 0 }), 400, UNDEFINED, /0 is less than the minimum of 1/],
      ['PUT', '/allocations/not-a-uuid', put({ VCPU: 1 }), 400, UNDEFINED, /Malformed consumer_uuid: not-a-uuid/],
      ['PUT', fresh(), { body: { allocations: {}, project_id: 'p', user_id: 'u', consumer_type: 'INSTANCE' } }, 400, UNDEFINED, /'consumer_generation' is a required property/],
      ['PUT', fresh(), { ...put({ VCPU: 1 }), version: '1.37' }, 400, UNDEFINED, /'consumer_type' was unexpected/],
      ['POST', '/allocations', { body: { [randomUUID()]: put({ VCPU: 1 }).body, [randomUUID()]: put({ VCPU: 2 }).body } }, 409, UNDEFINED, /exceed the capacity: 3 requested/],
    ]);
  });

  it('refuses stale generations with placement.concurrent_update', async () => {
    const alloc = `/allocations/${consumer}`;
    const claim = (gen: number | null) => ({ allocations: { [host.uuid]: { resources: { VCPU: 1 } } }, project_id: 'p', user_id: 'u', consumer_generation: gen, consumer_type: 'INSTANCE' });
    await refused([
      ['PUT', `/resource_providers/${host.uuid}/inventories`, { body: { resource_provider_generation: 1, inventories: {} } }, 409, 'placement.concurrent_update', /generation conflict/],
      ['PUT', `/resource_providers/${host.uuid}/inventories/VCPU`, { body: { total: 5, resource_provider_generation: 0 } }, 409, 'placement.concurrent_update', /generation conflict/],
      ['PUT', `/resource_providers/${host.uuid}/traits`, { body: { traits: [], resource_provider_generation: 99 } }, 409, 'placement.concurrent_update', /generation already changed/],
      ['PUT', `/resource_providers/${host.uuid}/aggregates`, { body: { aggregates: [], resource_provider_generation: 99 } }, 409, 'placement.concurrent_update', /generation already changed/],
      ['PUT', alloc, { body: claim(0) }, 409, 'placement.concurrent_update', /consumer generation conflict - expected 1 but got 0/],
      ['PUT', alloc, { body: claim(null) }, 409, 'placement.concurrent_update', /expected 1 but got null/],
      ['PUT', `/allocations/${randomUUID()}`, { body: claim(3) }, 409, 'placement.concurrent_update', /expected null but got 3/],
    ]);
  });

  it('refuses to delete what is in use: inventory with allocations, providers with allocations or children', async () => {
    await refused([
      ['DELETE', `/resource_providers/${host.uuid}/inventories/VCPU`, {}, 409, 'placement.inventory.inuse', /Inventory for 'VCPU' on resource provider .* in use/],
      ['DELETE', `/resource_providers/${host.uuid}/inventories`, {}, 409, 'placement.inventory.inuse', /in use/],
      ['PUT', `/resource_providers/${host.uuid}/inventories`, { body: { resource_provider_generation: 2, inventories: { MEMORY_MB: { total: 1024 } } } }, 409, 'placement.inventory.inuse', /'VCPU'.* in use/],
      ['DELETE', `/resource_providers/${host.uuid}`, {}, 409, 'placement.resource_provider.inuse', /has allocations/],
      ['DELETE', `/resource_providers/${parent.uuid}`, {}, 409, 'placement.resource_provider.cannot_delete_parent', /It has child resource providers/],
      ['DELETE', '/resource_classes/CUSTOM_NEVER_CREATED', {}, 404, UNDEFINED, /No such resource class/],
    ]);
  });

  it('refuses duplicates, dangling parents and malformed bodies or queries', async () => {
    await refused([
      ['POST', '/resource_providers', { body: { name: 'bad-host' } }, 409, 'placement.duplicate_name', /Conflicting resource provider name: bad-host already exists/],
      ['POST', '/resource_providers', { body: { name: 'bad-host-2', uuid: host.uuid } }, 409, 'placement.duplicate_name', /uuid: /],
      ['POST', '/resource_providers', { body: { name: 'orphan', parent_provider_uuid: randomUUID() } }, 400, UNDEFINED, /parent provider UUID does not exist/],
      ['POST', '/resource_providers', { body: { name: 'x'.repeat(201) } }, 400, UNDEFINED, /is too long/],
      ['POST', '/resource_providers', { body: { name: 'p', parent_provider_uuid: host.uuid }, version: '1.13' }, 400, UNDEFINED, /'parent_provider_uuid' was unexpected/],
      ['POST', '/resource_providers', { raw: '{"name": ' }, 400, UNDEFINED, /not valid JSON/],
      ['POST', '/resource_providers', { raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, UNDEFINED, /not supported/],
      ['PUT', `/resource_providers/${host.uuid}`, { body: { name: 'bad-parent' } }, 409, 'placement.duplicate_name', /already exists/],
      ['GET', '/resource_providers?colour=red', {}, 400, UNDEFINED, /'colour' was unexpected/],
      ['GET', '/resource_providers?in_tree=nope', {}, 400, UNDEFINED, /in_tree.* uuid/],
      ['GET', '/resource_providers?member_of=nope', {}, 400, UNDEFINED, /member_of.*valid UUID/],
      ['GET', `/resource_providers?member_of=${randomUUID()},${randomUUID()}`, {}, 400, UNDEFINED, /must be prefixed with the 'in:'/],
      ['GET', `/resource_providers?member_of=!${randomUUID()}`, { version: '1.31' }, 400, UNDEFINED, /Forbidden member_of parameters are not supported/],
      ['GET', '/resource_providers?required=!HW_CPU_X86_AVX2', { version: '1.21' }, 400, UNDEFINED, /HW_CPU_X86_VMX,CUSTOM_MAGIC/],
      ['GET', '/resource_providers?required=in:HW_CPU_X86_AVX2', { version: '1.38' }, 400, UNDEFINED, /only supported since microversion 1\.39/],
      ['GET', '/allocation_candidates?resources=VCPU:1&limit=1&limit=2', {}, 400, 'placement.query.duplicate_key', /'limit' may be specified only once/],
      ['GET', '/allocation_candidates?resources=VCPU:1&limit=0', {}, 400, UNDEFINED, /does not match/],
      ['GET', '/allocation_candidates?resources=VCPU:1&limit=2', { version: '1.15' }, 400, UNDEFINED, /'limit' was unexpected/],
      ['GET', '/allocation_candidates?resources1=VCPU:1&resources2=VCPU:1', {}, 400, UNDEFINED, /"group_policy" parameter is required/],
      ['GET', '/allocation_candidates?resources=VCPU:1&group_policy=some', {}, 400, UNDEFINED, /is not one of \['none', 'isolate'\]/],
      ['GET', '/allocation_candidates?resources=VCPU:1&required=HW_CPU_X86_AVX2,!HW_CPU_X86_AVX2', {}, 400, UNDEFINED, /Conflicting required and forbidden traits/],
      ['GET', '/allocation_candidates?resources=VCPU:1&required1=HW_CPU_X86_AVX2', {}, 400, 'placement.query.bad_value', /Resourceless suffixed group/],
      ['GET', '/allocation_candidates?resources=VCPU:1&same_subtree=_X', {}, 400, 'placement.query.bad_value', /Real suffixes should be specified/],
      ['GET', '/allocation_candidates?resources=VCPU:1&root_required=A&root_required=B', {}, 400, 'placement.query.duplicate_key', /root_required/],
      ['GET', '/allocation_candidates?resources_X=VCPU:1', { version: '1.32' }, 400, UNDEFINED, /'resources_X' was unexpected/],
      ['GET', '/resource_providers/not-a-uuid', {}, 404, UNDEFINED, /No resource provider with uuid not-a-uuid found/],
      ['GET', '/traits?name=CUSTOM_X', {}, 400, UNDEFINED, /Badly formatted name parameter/],
      ['GET', '/traits?associated=maybe', {}, 400, UNDEFINED, /only accepts "true" or "false"/],
      ['GET', '/usages', {}, 400, UNDEFINED, /'project_id' is a required property/],
      ['GET', '/usages?project_id=p&consumer_type=lower', {}, 400, UNDEFINED, /does not match/],
    ]);
  });

  it('leaves the code out before 1.23 and never answers 5xx to garbage', async () => {
    const old = await t.call('DELETE', `/resource_providers/${host.uuid}`, { token: t.as.admin, version: '1.22' });
    assert.equal(old.status, 409);
    assert.deepEqual(Object.keys(old.body.errors[0]).sort(), ['detail', 'request_id', 'status', 'title']);
    for (const body of ['null', '[]', '"x"', '{"allocations": null}', '{"allocations": {"x": 1}}', '{"inventories": {"VCPU": []}, "resource_provider_generation": 1}']) {
      for (const [method, path] of [['PUT', `/allocations/${randomUUID()}`], ['PUT', `/resource_providers/${host.uuid}/inventories`], ['POST', '/allocations'], ['POST', '/reshaper'], ['POST', '/resource_providers']]) {
        const r = await t.call(method, path, { token: t.as.admin, raw: body });
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${body} -> ${r.status} ${JSON.stringify(r.body)}`);
      }
    }
  });
});
