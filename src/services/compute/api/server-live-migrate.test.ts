// Live migration (os-migrateLive) through the whole flow on two fake hosts: admin only, the body per microversion,
// the guest moved between the fake hypervisors while it runs, and a failure on the destination rolled back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import { until } from '#lib/test-wait.ts';

const V = '2.37';

describe('live migration', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({}, { hosts: ['host-a', 'host-b'] }); });
  after(async () => { await c?.close(); });

  const act = (id: string, body: unknown, token = c.as.admin.token, version = V) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version, body });
  const boot = (name: string) => c.bootActive(name, { version: V });
  const settled = (id: string) => c.waitForServer(id, c.as.admin.token, (s) => s?.status === 'ACTIVE' && s['OS-EXT-STS:task_state'] === null);
  const hostOf = (id: string) => c.hostOf(id);
  const other = (host: string) => (host === 'host-a' ? 'host-b' : 'host-a');
  const migrationsOf = async (id: string) => (await c.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.as.admin.token, version: '2.59' })).body.migrations;

  const nodeOf = (host: string) => c.nodeUuidOf(host);
  /** The server's claim is on `host` only and the migration holds nothing. */
  const claimedOn = async (id: string, host: string, migrationUuid: string) => {
    assert.deepEqual(Object.keys(await c.allocationsOf(id)), [await nodeOf(host)]);
    assert.deepEqual(await c.allocationsOf(migrationUuid), {});
  };

  it('refuses bad requests and changes nothing', async () => {
    const id = await boot('live-0');
    const source = await hostOf(id);
    const live = (args: unknown, version = V, token = c.as.admin.token) => act(id, { 'os-migrateLive': args }, token, version);
    assert.equal((await live({ host: null, block_migration: 'auto' }, V, c.as.alice.token)).status, 403, 'an admin action');
    assert.equal((await live({ host: null })).status, 400, 'block_migration is required');
    assert.equal((await live({ host: null, block_migration: 'auto' }, '2.24')).status, 400, "'auto' only from 2.25");
    assert.equal((await live({ host: null, block_migration: false }, '2.24')).status, 400, 'disk_over_commit required before 2.25');
    assert.equal((await live({ host: null, block_migration: false, disk_over_commit: false })).status, 400, 'no disk_over_commit from 2.25');
    assert.equal((await live({ host: null, block_migration: 'auto', force: false }, '2.68')).status, 400, 'no force from 2.68');
    assert.equal((await live({ host: 'no-such-host', block_migration: 'auto' })).status, 400);
    assert.equal((await live({ host: source, block_migration: 'auto' })).status, 400, 'never to its own host');
    assert.equal(await hostOf(id), source);
    assert.deepEqual(await migrationsOf(id), []);
    assert.equal((await live({ host: null, block_migration: false, disk_over_commit: false }, '2.1')).status, 202, 'the 2.1 shape');
    await c.waitForServer(id, c.as.admin.token, (s) => s?.['OS-EXT-SRV-ATTR:host'] === other(source) && s['OS-EXT-STS:task_state'] === null);
  });

  it('moves the running guest to the other host and records the migration', async () => {
    const id = await boot('live-1');
    const source = await hostOf(id);
    assert.equal((await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status, 202);
    const s = await c.waitForServer(id, c.as.admin.token, (x) => x?.['OS-EXT-SRV-ATTR:host'] === other(source) && x['OS-EXT-STS:task_state'] === null);
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.equal(await c.drivers[source].powerState({ uuid: id }), undefined, 'gone from the source');
    assert.equal(await c.drivers[other(source)].powerState({ uuid: id }), 'running', 'running on the destination');
    const [m] = await migrationsOf(id);
    assert.equal(m.migration_type, 'live-migration');
    assert.equal(m.status, 'completed');
    assert.equal(m.source_compute, source);
    assert.equal(m.dest_compute, other(source));
    await claimedOn(id, other(source), m.uuid);
    // Nothing in progress any more: the server's migrations list is empty, and show, force_complete and abort say so.
    const sm = (method: string, path: string, version: string, body?: unknown) => c.call(method, `/v2.1/servers/${id}/migrations${path}`, { token: c.as.admin.token, version, body });
    assert.deepEqual((await sm('GET', '', '2.23')).body.migrations, []);
    assert.equal((await sm('GET', '', '2.22')).status, 404, 'from 2.23');
    assert.equal((await c.call('GET', `/v2.1/servers/${id}/migrations`, { token: c.as.alice.token, version: '2.23' })).status, 403);
    assert.equal((await sm('GET', `/${m.id}`, '2.23')).status, 404);
    assert.equal((await sm('POST', `/${m.id}/action`, '2.22', { force_complete: null })).status, 409, 'the server is not migrating');
    assert.equal((await sm('DELETE', `/${m.id}`, '2.65')).status, 404);
    const actions = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V })).body.instanceActions;
    assert.ok(actions.some((a: { action: string }) => a.action === 'live-migration'));
  });

  it('goes to the named host, and a failure on the destination leaves the server where it was', async () => {
    const id = await boot('live-2');
    const source = await hostOf(id);
    const dest = c.drivers[other(source)];
    const pre = dest.preLiveMigration!.bind(dest);
    dest.preLiveMigration = async () => { throw new Error('injected: destination not ready'); };
    try {
      assert.equal((await act(id, { 'os-migrateLive': { host: other(source), block_migration: 'auto' } })).status, 202);
      await until('the migration to fail', async () => (await migrationsOf(id))[0]?.status === 'failed', { timeoutMs: 15_000 });
    } finally { dest.preLiveMigration = pre; }
    const s = await settled(id);
    assert.equal(s['OS-EXT-SRV-ATTR:host'], source);
    assert.equal(await c.drivers[source].powerState({ uuid: id }), 'running');
    assert.equal(await dest.powerState({ uuid: id }), undefined);
    await claimedOn(id, source, (await migrationsOf(id))[0].uuid);
    // Again, now that the destination works: the named host.
    assert.equal((await act(id, { 'os-migrateLive': { host: other(source), block_migration: 'auto' } })).status, 202);
    await c.waitForServer(id, c.as.admin.token, (x) => x?.['OS-EXT-SRV-ATTR:host'] === other(source) && x['OS-EXT-STS:task_state'] === null);
    assert.equal((await migrationsOf(id)).filter((m: { status: string }) => m.status === 'completed').length, 1);
  });

  it('is refused cleanly by a driver that cannot live migrate (as the qemu driver), before anything moves', async () => {
    const id = await boot('live-3');
    const source = await hostOf(id);
    const driver = c.drivers[source];
    const migrate = driver.liveMigrate;
    delete driver.liveMigrate;
    try {
      assert.equal((await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status, 202);
      await until('the migration to fail', async () => (await migrationsOf(id))[0]?.status === 'failed', { timeoutMs: 15_000 });
    } finally { driver.liveMigrate = migrate; }
    const s = await settled(id);
    assert.equal(s['OS-EXT-SRV-ATTR:host'], source);
    assert.equal(await driver.powerState({ uuid: id }), 'running');
    await claimedOn(id, source, (await migrationsOf(id))[0].uuid);
    const events = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: c.as.admin.token, version: V })).body.instanceActions;
    const req = events.find((a: { action: string }) => a.action === 'live-migration').request_id;
    const detail = (await c.call('GET', `/v2.1/servers/${id}/os-instance-actions/${req}`, { token: c.as.admin.token, version: '2.51' })).body.instanceAction;
    assert.ok(detail.events.some((e: { event: string; result: string }) => e.event === 'compute_live_migration' && e.result === 'Error'), JSON.stringify(detail.events));
  });
});
