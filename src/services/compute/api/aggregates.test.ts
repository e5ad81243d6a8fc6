// Host aggregates and availability zones through the whole flow: os-aggregates (CRUD, hosts, metadata, the rules on
// zones), membership mirrored into Placement, zones listed, servers scheduled into a zone, an admin's forced host.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';

describe('host aggregates and availability zones', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({}, { hosts: ['host-a', 'host-b'] }); });
  after(async () => { await c?.close(); });

  const admin = (method: string, path: string, body?: unknown) => c.call(method, path, { token: c.as.admin.token, version: V, body });
  const action = (id: number, body: unknown) => admin('POST', `/v2.1/os-aggregates/${id}/action`, body);
  /** The aggregates of host's resource provider in Placement. */
  const providerAggregates = async (host: string): Promise<string[]> => {
    const headers = { 'x-auth-token': c.as.admin.token, 'openstack-api-version': 'placement 1.19' };
    const rps = await (await fetch(`${c.placementUrl}/resource_providers?name=${host}`, { headers })).json() as { resource_providers: { uuid: string }[] };
    const res = await fetch(`${c.placementUrl}/resource_providers/${rps.resource_providers[0].uuid}/aggregates`, { headers });
    return ((await res.json()) as { aggregates: string[] }).aggregates.sort();
  };
  const create = (token: string, server: Record<string, unknown>) =>
    c.call('POST', '/v2.1/servers', { token, version: V, body: { server: { name: 'vm', imageRef: c.imageId, flavorRef: '1', networks: 'none', ...server } } });

  it('creates, shows, updates and deletes aggregates with Nova\'s checks', async () => {
    const made = await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: 'agg-crud', availability_zone: 'zone-x' } });
    assert.equal(made.status, 200, JSON.stringify(made.body));
    const agg = made.body.aggregate;
    assert.equal(typeof agg.id, 'number');
    assert.equal(agg.availability_zone, 'zone-x');
    assert.equal(agg.hosts, undefined, 'create answers without hosts and metadata, as Nova');
    assert.match(agg.uuid, /^[0-9a-f-]{36}$/);
    const shown = await admin('GET', `/v2.1/os-aggregates/${agg.id}`);
    assert.deepEqual(shown.body.aggregate.metadata, { availability_zone: 'zone-x' });
    assert.deepEqual(shown.body.aggregate.hosts, []);
    assert.ok((await admin('GET', '/v2.1/os-aggregates')).body.aggregates.some((a: { id: number }) => a.id === agg.id));

    assert.equal((await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: 'agg-crud' } })).status, 409);
    assert.equal((await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: '' } })).status, 400);
    assert.equal((await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: 'x', color: 'red' } })).status, 400);
    assert.equal((await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: 'x', availability_zone: 'internal' } })).status, 400);
    assert.equal((await c.call('POST', '/v2.1/os-aggregates', { token: c.as.alice.token, version: V, body: { aggregate: { name: 'mine' } } })).status, 403);
    assert.equal((await admin('GET', '/v2.1/os-aggregates/99999')).status, 404);
    assert.equal((await admin('GET', '/v2.1/os-aggregates/abc')).status, 400);

    const renamed = await admin('PUT', `/v2.1/os-aggregates/${agg.id}`, { aggregate: { name: 'agg-renamed', availability_zone: 'zone-y' } });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.aggregate.name, 'agg-renamed');
    assert.equal(renamed.body.aggregate.availability_zone, 'zone-y');
    assert.equal((await admin('PUT', `/v2.1/os-aggregates/${agg.id}`, { aggregate: {} })).status, 400);

    const meta = await action(agg.id, { set_metadata: { metadata: { ssd: 'true', gpu: 'no' } } });
    assert.deepEqual(meta.body.aggregate.metadata, { availability_zone: 'zone-y', gpu: 'no', ssd: 'true' });
    const unset = await action(agg.id, { set_metadata: { metadata: { gpu: null } } });
    assert.deepEqual(unset.body.aggregate.metadata, { availability_zone: 'zone-y', ssd: 'true' });
    assert.equal((await action(agg.id, { set_metadata: { metadata: { k: 5 } } })).status, 400);
    assert.equal((await action(agg.id, { frobnicate: {} })).status, 400);

    assert.equal((await admin('DELETE', `/v2.1/os-aggregates/${agg.id}`)).status, 200);
    assert.equal((await admin('GET', `/v2.1/os-aggregates/${agg.id}`)).status, 404);
  });

  it('adds and removes hosts, keeps a host in one zone, and mirrors membership into Placement', async () => {
    const az1 = (await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: 'agg-az1', availability_zone: 'az1' } })).body.aggregate;
    const other = (await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: 'agg-az2', availability_zone: 'az2' } })).body.aggregate;
    const plain = (await admin('POST', '/v2.1/os-aggregates', { aggregate: { name: 'agg-plain' } })).body.aggregate;

    assert.equal((await action(az1.id, { add_host: { host: 'no-such-host' } })).status, 404);
    const added = await action(az1.id, { add_host: { host: 'host-a' } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.aggregate.hosts, ['host-a']);
    assert.equal((await action(az1.id, { add_host: { host: 'host-a' } })).status, 409);
    // host-a is in az1: another zone's aggregate cannot take it, a zone-less one can, but not then gain another zone.
    assert.equal((await action(other.id, { add_host: { host: 'host-a' } })).status, 409);
    assert.equal((await action(plain.id, { add_host: { host: 'host-a' } })).status, 200);
    assert.equal((await action(plain.id, { set_metadata: { metadata: { availability_zone: 'az3' } } })).status, 400);
    assert.equal((await admin('PUT', `/v2.1/os-aggregates/${plain.id}`, { aggregate: { availability_zone: 'az3' } })).status, 400);
    assert.equal((await admin('PUT', `/v2.1/os-aggregates/${plain.id}`, { aggregate: { availability_zone: 'az1' } })).status, 200);
    assert.deepEqual(await providerAggregates('host-a'), [az1.uuid, plain.uuid].sort());
    assert.deepEqual(await providerAggregates('host-b'), []);

    assert.equal((await admin('DELETE', `/v2.1/os-aggregates/${plain.id}`)).status, 400, 'an aggregate with hosts is not deleted');
    assert.equal((await action(plain.id, { remove_host: { host: 'host-b' } })).status, 404);
    const removed = await action(plain.id, { remove_host: { host: 'host-a' } });
    assert.deepEqual(removed.body.aggregate.hosts, []);
    assert.deepEqual(await providerAggregates('host-a'), [az1.uuid]);
    assert.equal((await admin('DELETE', `/v2.1/os-aggregates/${plain.id}`)).status, 200);
    assert.equal((await admin('DELETE', `/v2.1/os-aggregates/${other.id}`)).status, 200);

    const services = await admin('GET', '/v2.1/os-services?binary=nova-compute');
    assert.deepEqual(Object.fromEntries(services.body.services.map((s: { host: string; zone: string }) => [s.host, s.zone])), { 'host-a': 'az1', 'host-b': 'nova' });
  });

  it('lists the zones, schedules into one, and shows the zone a server landed in', async () => {
    // Runs after the test above: host-a is in az1, host-b in the default zone.
    const zones = await c.call('GET', '/v2.1/os-availability-zone', { token: c.as.alice.token, version: V });
    assert.deepEqual(zones.body.availabilityZoneInfo, [
      { zoneName: 'az1', zoneState: { available: true }, hosts: null }, { zoneName: 'nova', zoneState: { available: true }, hosts: null },
    ]);
    const detail = await admin('GET', '/v2.1/os-availability-zone/detail');
    assert.ok(detail.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'az1').hosts['host-a']['nova-compute']);

    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await create(c.as.alice.token, { name: `in-az1-${i}`, availability_zone: 'az1' });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      ids.push(res.body.server.id);
    }
    for (const id of ids) {
      const s = await c.waitForServer(id, c.as.admin.token, (v) => v?.status === 'ACTIVE' || v?.status === 'ERROR');
      assert.equal(s.status, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], 'host-a');
      assert.equal(s['OS-EXT-AZ:availability_zone'], 'az1');
    }
    const anywhere = (await create(c.as.alice.token, { name: 'anywhere' })).body.server.id;
    const placed = await c.waitForServer(anywhere, c.as.admin.token, (v) => v?.status === 'ACTIVE');
    assert.equal(placed['OS-EXT-AZ:availability_zone'], placed['OS-EXT-SRV-ATTR:host'] === 'host-a' ? 'az1' : 'nova');
    ids.push(anywhere);

    const unknown = await create(c.as.alice.token, { name: 'nowhere', availability_zone: 'no-such-zone' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.badRequest.message, /availability zone is not available/);
    for (const id of ids) await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V });
  });

  it('lets admins force a host with az:host, and nobody else', async () => {
    assert.equal((await create(c.as.alice.token, { name: 'forced', availability_zone: 'nova:host-b' })).status, 403);
    assert.equal((await create(c.as.admin.token, { name: 'forced', availability_zone: 'nova:no-such-host' })).status, 400);
    const ids: string[] = [];
    for (const zone of ['nova:host-b', 'az1:host-a:host-a']) {
      const res = await create(c.as.admin.token, { name: 'forced', availability_zone: zone });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      const s = await c.waitForServer(res.body.server.id, c.as.admin.token, (v) => v?.status === 'ACTIVE' || v?.status === 'ERROR');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], zone.split(':')[1]);
      ids.push(s.id);
    }
    // Still claimed in Placement: the host's usage counts the forced server.
    const headers = { 'x-auth-token': c.as.admin.token };
    const allocations = await (await fetch(`${c.placementUrl}/allocations/${ids[0]}`, { headers })).json() as { allocations: Record<string, unknown> };
    assert.equal(Object.keys(allocations.allocations).length, 1);
    for (const id of ids) await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V });
  });
});
