// The metadata API over HTTP, as Networking's metadata proxy calls it: signed headers identify the instance, then the
// OpenStack and EC2 paths answer with what Compute and Networking know about it; the guest may post its password once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { openDatabase } from '#lib/db/index.ts';
import { startCompute } from '../api/test-compute.ts';
import type { TestCompute } from '../api/test-compute.ts';
import { computeOptions, createComputeMetadataApi } from '../roles.ts';
import type { ComputeApi } from '../roles.ts';
import type { ComputeTables } from '../db/tables.ts';
import type { NetworkClient } from '#services/network/contract/client.ts';
import { signInstanceId } from './proxy-headers.ts';
import { createInstanceSource } from './instance-source.ts';

const V = '2.60';
const SECRET = 'metadata-test-secret';
const USER_DATA = '#!/bin/sh\necho booted\n';

describe('metadata API', () => {
  let c: TestCompute;
  let metadata: ComputeApi;
  let mdUrl: string;
  let server: { id: string; projectId: string; ip: string; mac: string; portId: string; floating: string };
  let plain: { id: string };
  let publicKey: string;

  const neutron = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${c.networkUrl!.replace(/\/$/, '')}/v2.0${path}`, {
      method, headers: { 'x-auth-token': token, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  /** A request as the metadata proxy sends it, signed for `instanceId` unless headers say otherwise. */
  const md = async (path: string, opts: { instanceId?: string; tenantId?: string; headers?: Record<string, string>; method?: string; body?: string } = {}) => {
    const instanceId = opts.instanceId ?? server.id;
    const headers = opts.headers ?? {
      'x-instance-id': instanceId, 'x-tenant-id': opts.tenantId ?? server.projectId, 'x-instance-id-signature': signInstanceId(instanceId, SECRET),
      'x-forwarded-for': server.ip,
    };
    const res = await fetch(`${mdUrl}${path}`, { method: opts.method ?? 'GET', headers, body: opts.body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a'] });
    const alice = c.as.alice.token;
    const net = (await neutron('POST', '/networks', alice, { network: { name: 'private' } })).network;
    const subnet = (await neutron('POST', '/subnets', alice, {
      subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4, dns_nameservers: ['10.0.0.53'] },
    })).subnet;
    const ext = (await neutron('POST', '/networks', c.as.admin.token, { network: { name: 'public', 'router:external': true } })).network;
    await neutron('POST', '/subnets', c.as.admin.token, { subnet: { network_id: ext.id, cidr: '172.24.4.0/24', ip_version: 4 } });
    const router = (await neutron('POST', '/routers', alice, { router: { name: 'r1', external_gateway_info: { network_id: ext.id } } })).router;
    await neutron('PUT', `/routers/${router.id}/add_router_interface`, alice, { subnet_id: subnet.id });
    publicKey = (await c.call('POST', '/v2.1/os-keypairs', { token: alice, version: V, body: { keypair: { name: 'mykey' } } })).body.keypair.public_key;

    const boot = (body: Record<string, unknown>) => c.call('POST', '/v2.1/servers', {
      token: alice, version: V, body: { server: { imageRef: c.imageId, flavorRef: '1', networks: [{ uuid: net.id }], ...body } },
    });
    const [withAll, bare] = await Promise.all([
      boot({ name: 'web-1', key_name: 'mykey', user_data: Buffer.from(USER_DATA).toString('base64'), metadata: { role: 'web' } }),
      boot({ name: 'bare' }),
    ]);
    const s = await c.waitForServer(withAll.body.server.id, alice, (v) => v?.status === 'ACTIVE');
    await c.waitForServer(bare.body.server.id, alice, (v) => v?.status === 'ACTIVE');
    plain = { id: bare.body.server.id };
    const port = (await neutron('GET', `/ports?device_id=${s.id}`, alice)).ports[0];
    const fip = (await neutron('POST', '/floatingips', alice, { floatingip: { floating_network_id: ext.id, port_id: port.id } })).floatingip;
    server = { id: s.id, projectId: c.as.alice.projectId, ip: port.fixed_ips[0].ip_address, mac: port.mac_address, portId: port.id, floating: fip.floating_ip_address };

    metadata = await createComputeMetadataApi({
      options: resolveOptions('compute', computeOptions, { metadata_cache_expiration: 0 }, {}), databaseUrl: c.databaseUrl, authUrl: c.authUrl,
      servicePassword: c.novaPassword, sharedSecret: SECRET, log: silentLogger(),
    });
    mdUrl = await metadata.listen('127.0.0.1', 0);
  });
  after(async () => {
    await metadata?.close();
    await c?.close();
  });

  it('answers the version lists: EC2 at / to anyone, OpenStack at /openstack', async () => {
    const root = await md('/', { headers: {} });
    assert.equal(root.status, 200);
    assert.equal(root.text, '1.0\n2007-01-19\n2007-03-01\n2007-08-29\n2007-10-10\n2007-12-15\n2008-02-01\n2008-09-01\n2009-04-04\nlatest');
    const os = await md('/openstack');
    assert.equal(os.status, 200);
    assert.deepEqual(os.text.split('\n'), ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27', '2020-10-14', 'latest']);
    assert.equal((await md('/openstack/latest/')).text, 'meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json');
    assert.equal((await md('/openstack/latest', { instanceId: plain.id })).text, 'meta_data.json\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json');
  });

  it('serves the OpenStack documents at every version: meta_data.json, network_data.json, vendor data and user_data', async () => {
    const meta = await md('/openstack/latest/meta_data.json');
    assert.equal(meta.status, 200);
    assert.match(meta.type, /application\/json/);
    const doc = JSON.parse(meta.text);
    assert.equal(doc.uuid, server.id);
    assert.equal(doc.name, 'web-1');
    assert.equal(doc.hostname, 'web-1.novalocal');
    assert.equal(doc.project_id, server.projectId);
    assert.equal(doc.availability_zone, 'nova');
    assert.deepEqual(doc.meta, { role: 'web' });
    assert.deepEqual(doc.public_keys, { mykey: publicKey });
    assert.deepEqual(doc.keys, [{ name: 'mykey', type: 'ssh', data: publicKey }]);
    assert.equal(Buffer.from(doc.random_seed, 'base64').length, 512);
    const old = JSON.parse((await md('/openstack/2012-08-10/meta_data.json')).text);
    assert.equal(old.uuid, server.id);
    assert.notEqual(old.random_seed, doc.random_seed);

    const net = JSON.parse((await md('/openstack/2020-10-14/network_data.json')).text);
    assert.deepEqual(net.links, [{ id: `tap${server.portId.slice(0, 11)}`, vif_id: server.portId, type: 'bridge', mtu: net.links[0].mtu, ethernet_mac_address: server.mac }]);
    assert.equal(typeof net.links[0].mtu, 'number');
    assert.equal(net.networks.length, 1);
    assert.equal(net.networks[0].type, 'ipv4_dhcp');
    assert.deepEqual(net.services, [{ type: 'dns', address: '10.0.0.53' }]);
    assert.equal((await md('/openstack/latest/vendor_data.json')).text, '{}');
    assert.equal((await md('/openstack/latest/vendor_data2.json')).text, '{}');
    assert.equal((await md('/openstack/latest/user_data')).text, USER_DATA);
    assert.equal((await md('/openstack/latest/user_data', { instanceId: plain.id })).status, 404);
    assert.equal((await md('/openstack/2011-01-01/meta_data.json')).status, 404);
    assert.equal((await md('/openstack/latest/secrets.json')).status, 404);
  });

  it('serves the EC2 tree: listings with slashes, the key, addresses and user-data', async () => {
    const listing = (await md('/latest/meta-data/')).text.split('\n');
    assert.ok(listing.includes('public-keys/') && listing.includes('placement/') && listing.includes('instance-id'), listing.join(','));
    assert.equal((await md('/latest')).text, 'meta-data/\nuser-data');
    assert.equal((await md('/latest/meta-data/public-keys/')).text, '0=mykey');
    assert.equal((await md('/latest/meta-data/public-keys/0/')).text, 'openssh-key');
    assert.equal((await md('/2009-04-04/meta-data/public-keys/0/openssh-key')).text, publicKey);
    assert.equal((await md('/latest/meta-data/instance-id')).text, `i-${server.id.slice(0, 8)}`);
    assert.equal((await md('/latest/meta-data/local-ipv4')).text, server.ip);
    assert.equal((await md('/latest/meta-data/public-ipv4')).text, server.floating);
    assert.equal((await md('/latest/meta-data/hostname')).text, 'web-1.novalocal');
    assert.equal((await md('/latest/meta-data/placement/availability-zone')).text, 'nova');
    assert.equal((await md('/latest/meta-data/instance-type')).text, 'm1.tiny');
    assert.equal((await md('/latest/meta-data/security-groups')).text, 'default');
    assert.equal((await md('/1.0/user-data')).text, USER_DATA);
    assert.equal((await md('/ec2/latest/meta-data/ami-launch-index')).text, '0');
    assert.equal((await md('/latest/user-data', { instanceId: plain.id })).status, 404);
    assert.equal((await md('/latest/meta-data/public-keys/', { instanceId: plain.id })).status, 404);
    assert.equal((await md('/1999-01-01/meta-data/')).status, 404);
    assert.equal((await md('/latest/meta-data/kernel-id')).status, 404);
  });

  it('trusts only signed proxy headers: 400 when one is missing, 403 for a bad signature, 404 for another tenant or instance', async () => {
    const signed = { 'x-instance-id': server.id, 'x-tenant-id': server.projectId, 'x-instance-id-signature': signInstanceId(server.id, SECRET) };
    const without = (name: string) => Object.fromEntries(Object.entries(signed).filter(([k]) => k !== name));
    const noId = await md('/latest/meta-data/', { headers: without('x-instance-id') });
    assert.equal(noId.status, 400);
    assert.match(noId.type, /text\/plain/);
    assert.match(noId.text, /^400 Bad Request\n\nX-Instance-ID header is missing from request\./);
    assert.equal((await md('/latest/meta-data/', { headers: without('x-tenant-id') })).status, 400);
    assert.equal((await md('/latest/meta-data/', { headers: without('x-instance-id-signature') })).status, 400);
    const forged = await md('/openstack/latest/meta_data.json', { headers: { ...signed, 'x-instance-id-signature': signInstanceId(server.id, 'guessed') } });
    assert.equal(forged.status, 403);
    assert.match(forged.text, /Invalid proxy request signature/);
    assert.doesNotMatch(forged.text, new RegExp(signInstanceId(server.id, SECRET)));
    // A signature for one instance does not open another.
    assert.equal((await md('/openstack/latest/meta_data.json', { headers: { ...signed, 'x-instance-id': plain.id } })).status, 403);
    assert.equal((await md('/openstack/latest/meta_data.json', { tenantId: c.as.bob.projectId })).status, 404);
    assert.equal((await md('/openstack/latest/meta_data.json', { instanceId: randomUUID() })).status, 404);
  });

  it('stores the password a guest posts once (1020 bytes at most) and gives it back', async () => {
    assert.equal((await md('/openstack/latest/password')).text, '');
    assert.equal((await md('/openstack/latest/password', { method: 'POST', body: 'x'.repeat(1021) })).status, 400);
    const posted = await md('/openstack/2013-04-04/password', { method: 'POST', body: 'encrypted-secret' });
    assert.equal(posted.status, 200);
    assert.equal((await md('/openstack/latest/password')).text, 'encrypted-secret');
    assert.equal((await md('/openstack/latest/password', { method: 'POST', body: 'another' })).status, 409);
    assert.equal((await md('/openstack/latest/password', { instanceId: plain.id })).text, '');
    assert.equal((await md('/openstack/latest/meta_data.json', { method: 'POST', body: 'x' })).status, 405);
  });

  it('forgets a deleted instance', async () => {
    await c.call('DELETE', `/v2.1/servers/${plain.id}`, { token: c.as.alice.token, version: V });
    await c.waitForServer(plain.id, c.as.alice.token, (s) => s === undefined);
    assert.equal((await md('/openstack/latest/meta_data.json', { instanceId: plain.id })).status, 404);
  });

  it('reads an instance from Networking once per cache period, and again after it', async () => {
    const database = await openDatabase<ComputeTables>({ url: c.databaseUrl, log: silentLogger() });
    try {
      let calls = 0;
      const ports = { listPorts: async () => { calls += 1; return []; } } as unknown as NetworkClient;
      let now = 1_000_000;
      const source = createInstanceSource({ db: database.db, network: async () => ports, log: silentLogger(), cacheTtlMs: 5000, now: () => now });
      const [a, b] = await Promise.all([source.get(server.id), source.get(server.id)]);
      assert.equal(a?.instance.uuid, server.id);
      assert.equal(b, a);
      assert.equal(calls, 1);
      await source.get(server.id);
      assert.equal(calls, 1);
      now += 6000;
      await source.get(server.id);
      assert.equal(calls, 2);
      assert.equal(await source.get(randomUUID()), undefined);
    } finally {
      await database.close();
    }
  });
});
