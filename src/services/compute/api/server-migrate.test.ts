// Cold migration (os-migrateServer `migrate`) through the whole flow on two fake hosts: admin only, never to the
// server's own host, to a named host from 2.56, waiting in VERIFY_RESIZE with the same flavor for confirm or revert.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';
import { until } from '#lib/test-wait.ts';

const V = '2.60';

describe('cold migration', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({}, { hosts: ['host-a', 'host-b'] }); });
  after(async () => { await c?.close(); });

  const act = (id: string, body: unknown, token = c.as.admin.token, version = V) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version, body });
  const boot = (name: string) => c.bootActive(name, { version: V });
  const settled = (id: string, status: string) => c.waitForServer(id, c.as.admin.token, (s) => s?.status === status && s['OS-EXT-STS:task_state'] === null);
  const hostOf = (id: string) => c.hostOf(id);
  const other = (host: string) => (host === 'host-a' ? 'host-b' : 'host-a');

  it('moves a server to the other host with its flavor, and confirm keeps it there', async () => {
    const id = await boot('mig-1');
    const source = await hostOf(id);
    assert.equal((await act(id, { migrate: null }, c.as.alice.token)).status, 403, 'an admin action');
    assert.equal((await act(id, { migrate: { host: other(source) } }, c.as.admin.token, '2.55')).status, 400, 'a host only from 2.56');
    assert.equal((await act(id, { migrate: { host: source } })).status, 400, 'never to its own host');
    assert.equal((await act(id, { migrate: { bogus: 1 } })).status, 400);
    assert.equal(await hostOf(id), source, 'refusals change nothing');

    assert.equal((await act(id, { migrate: null }, c.as.admin.token, '2.1')).status, 202);
    const s = await settled(id, 'VERIFY_RESIZE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], other(source));
    assert.equal(s.flavor.original_name, 'm1.tiny');
    const migrations = (await c.call('GET', `/v2.1/os-migrations?instance_uuid=${id}`, { token: c.as.admin.token, version: V })).body.migrations;
    assert.equal(migrations[0].migration_type, 'migration');
    assert.equal(migrations[0].source_compute, source);
    assert.equal(migrations[0].dest_compute, other(source));
    assert.equal((await act(id, { confirmResize: null }, c.as.alice.token)).status, 204);
    await settled(id, 'ACTIVE');
    assert.equal(await hostOf(id), other(source));
  });

  it('goes to the host an admin names (2.56), and revert brings it back', async () => {
    const id = await boot('mig-2');
    const source = await hostOf(id);
    assert.equal((await act(id, { migrate: { host: other(source) } }, c.as.admin.token, '2.56')).status, 202);
    await settled(id, 'VERIFY_RESIZE');
    assert.equal(await hostOf(id), other(source));
    assert.equal((await act(id, { revertResize: null }, c.as.alice.token)).status, 202);
    await settled(id, 'ACTIVE');
    assert.equal(await hostOf(id), source);
  });

  it('has the source drop its kept disks when a moved server is deleted in VERIFY_RESIZE', async () => {
    const id = await boot('mig-3');
    const source = await hostOf(id);
    const dropped: string[] = [];
    const driver = c.drivers[source];
    const confirm = driver.confirmMigration.bind(driver);
    driver.confirmMigration = async (o) => { dropped.push(o.uuid); await confirm(o); };
    assert.equal((await act(id, { migrate: null })).status, 202);
    await settled(id, 'VERIFY_RESIZE');
    assert.deepEqual(dropped, []);
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    // The source's cast and the destination's delete run side by side.
    await until('the source to drop its disks', () => dropped.length > 0, { timeoutMs: 10_000 });
    assert.deepEqual(dropped, [id], 'the source host let go of the disks it kept');
    driver.confirmMigration = confirm;
  });
});
