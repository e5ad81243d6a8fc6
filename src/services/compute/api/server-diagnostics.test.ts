// GET /servers/{id}/diagnostics on the fake driver: Nova's standard form from 2.48 with every field (a NIC with its
// port's MAC, the flavor's vCPUs and memory, zero counters of a guest that runs nothing), the libvirt-style dict
// before it, admins only by default, 409 for a server that is not running or has no host yet.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('server diagnostics', () => {
  let c: TestCompute;
  let server: string;
  let mac: string;
  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    const neutron = async (path: string, body: unknown) => (await (await fetch(`${c.networkUrl!.replace(/\/$/, '')}/v2.0${path}`, {
      method: 'POST', headers: { 'x-auth-token': c.as.alice.token, 'content-type': 'application/json' }, body: JSON.stringify(body),
    })).json()) as Record<string, { id: string }>;
    const network = (await neutron('/networks', { network: { name: 'private' } })).network.id;
    await neutron('/subnets', { subnet: { network_id: network, cidr: '10.0.0.0/24', ip_version: 4 } });
    const res = await c.call('POST', '/v2.1/servers', {
      token: c.as.alice.token, version: '2.60', body: { server: { name: 'diag-me', imageRef: c.imageId, flavorRef: '1', networks: [{ uuid: network }] } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    server = res.body.server.id;
    const s = await c.waitForServer(server, c.as.alice.token, (v) => v?.status === 'ACTIVE');
    mac = s.addresses.private[0]['OS-EXT-IPS-MAC:mac_addr'];
  });
  after(async () => { await c?.close(); });

  const get = (version: string, token = c.as.admin.token, id = server) => c.call('GET', `/v2.1/servers/${id}/diagnostics`, { token, version });

  it('shows the standard form from 2.48', async () => {
    const res = await get('2.48');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const d = res.body;
    assert.deepEqual(Object.keys(d).sort(), ['config_drive', 'cpu_details', 'disk_details', 'driver', 'hypervisor', 'hypervisor_os', 'memory_details',
      'nic_details', 'num_cpus', 'num_disks', 'num_nics', 'state', 'uptime']);
    assert.deepEqual([d.state, d.driver, d.hypervisor, d.hypervisor_os, d.config_drive], ['running', 'libvirt', 'fake', null, false]);
    assert.ok(Number.isInteger(d.uptime) && d.uptime >= 0 && d.uptime < 600, `uptime ${d.uptime}: seconds since launch`);
    assert.deepEqual([d.num_cpus, d.num_nics, d.num_disks], [1, 1, 1]);
    assert.deepEqual(d.cpu_details, [{ id: 0, time: 0, utilisation: null }]);
    assert.deepEqual(d.nic_details, [{ mac_address: mac, rx_octets: 0, rx_errors: 0, rx_drop: 0, rx_packets: 0, rx_rate: null, tx_octets: 0, tx_errors: 0, tx_drop: 0, tx_packets: 0, tx_rate: null }]);
    assert.deepEqual(d.disk_details, [{ read_bytes: 0, read_requests: 0, write_bytes: 0, write_requests: 0, errors_count: 0 }]);
    assert.deepEqual(d.memory_details, { maximum: 512, used: 0 });
  });

  it('shows the driver-specific dict before 2.48', async () => {
    const res = await get('2.47');
    assert.equal(res.status, 200);
    assert.equal(res.body.cpu0_time, 0);
    assert.equal(res.body.root_read, 0);
    assert.equal(res.body.root_errors, 0);
    assert.equal(res.body.memory, 512 * 1024);
    assert.ok(Object.keys(res.body).some((k) => /^tap.*_rx_packets$/.test(k)), JSON.stringify(res.body));
    assert.equal(res.body.state, undefined);
  });

  it('is for admins by default: 403 for the project\'s member, 404 for another project', async () => {
    const member = await get('2.48', c.as.alice.token);
    assert.equal(member.status, 403);
    assert.equal((await get('2.48', c.as.bob.token)).status, 404);
    assert.equal((await get('2.48', c.as.admin.token, '00000000-0000-0000-0000-000000000000')).status, 404);
  });

  it('answers 409 for a server that is not running', async () => {
    await c.call('POST', `/v2.1/servers/${server}/action`, { token: c.as.alice.token, version: '2.60', body: { 'os-stop': null } });
    await c.waitForServer(server, c.as.alice.token, (s) => s?.status === 'SHUTOFF');
    const res = await get('2.48');
    assert.equal(res.status, 409);
    assert.equal(res.body.conflictingRequest.message, `Cannot 'get_diagnostics' instance ${server} while it is in power state shutdown`);
  });

  it('answers 409 for a server no host holds (nothing could host it)', async () => {
    const flavor = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, version: '2.60', body: { flavor: { name: 'huge', ram: 40_000, vcpus: 1, disk: 1 } } });
    assert.equal(flavor.status, 200, JSON.stringify(flavor.body));
    const res = await c.call('POST', '/v2.1/servers', {
      token: c.as.alice.token, version: '2.60', body: { server: { name: 'homeless', imageRef: c.imageId, flavorRef: flavor.body.flavor.id, networks: 'none' } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.server.id as string;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ERROR');
    const diag = await get('2.48', c.as.admin.token, id);
    assert.equal(diag.status, 409);
    assert.equal(diag.body.conflictingRequest.message, `Instance ${id} is not ready`);
  });
});
