// Compute microversions 2.61–2.93 through the whole flow with the fake driver: each change shows at its version and
// not before, and what Stratus cannot do (certificate validation, volume reimage, volume swap) is refused, changing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('compute microversions 2.61 to 2.93', () => {
  let c: TestCompute;
  const call = (method: string, path: string, version: string, body?: unknown, token = c.as.alice.token) => c.call(method, path, { token, version, body });
  const settled = (id: string, status: string) =>
    c.waitForServer(id, c.as.admin.token, (s) => s?.status === status && s?.['OS-EXT-STS:task_state'] === null);
  const boot = async (server: Record<string, unknown>, version = '2.93', token = c.as.alice.token) => {
    const res = await call('POST', '/v2.1/servers', version, { server: { imageRef: c.imageId, flavorRef: '1', networks: 'none', ...server } }, token);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.server.id as string;
  };
  const show = async (id: string, version = '2.93', token = c.as.alice.token) => (await call('GET', `/v2.1/servers/${id}`, version, undefined, token)).body.server;

  before(async () => {
    c = await startCompute({}, { hosts: ['host-a', 'host-b'] });
    // The suite boots more servers than the default quota of 10.
    const quota = await call('PUT', `/v2.1/os-quota-sets/${c.as.alice.projectId}`, '2.60', { quota_set: { instances: 40, cores: 40, ram: 40 * 1024 } }, c.as.admin.token);
    assert.equal(quota.status, 200, JSON.stringify(quota.body));
  });
  after(async () => { await c?.close(); });

  it('shows flavor extra specs from 2.61 and swap 0 instead of "" from 2.75', async () => {
    await call('POST', '/v2.1/flavors/1/os-extra_specs', '2.93', { extra_specs: { 'hw:cpu_policy': 'shared' } }, c.as.admin.token);
    const old = (await call('GET', '/v2.1/flavors/1', '2.60')).body.flavor;
    assert.equal(old.extra_specs, undefined);
    assert.equal(old.swap, '');
    const v261 = (await call('GET', '/v2.1/flavors/1', '2.61')).body.flavor;
    assert.deepEqual(v261.extra_specs, { 'hw:cpu_policy': 'shared' });
    assert.equal(v261.swap, '');
    const detail = (await call('GET', '/v2.1/flavors/detail', '2.75')).body.flavors.find((f: { id: string }) => f.id === '1');
    assert.equal(detail.swap, 0);
    assert.deepEqual(detail.extra_specs, { 'hw:cpu_policy': 'shared' });
  });

  it('boots with tags (2.52), hostname (2.90) and no trusted certificates; refuses each below its version and certificates at all', async () => {
    assert.equal((await call('POST', '/v2.1/servers', '2.51', { server: { name: 'x', imageRef: c.imageId, flavorRef: '1', networks: 'none', tags: ['a'] } })).status, 400);
    assert.equal((await call('POST', '/v2.1/servers', '2.89', { server: { name: 'x', imageRef: c.imageId, flavorRef: '1', networks: 'none', hostname: 'abc' } })).status, 400);
    const certs = await call('POST', '/v2.1/servers', '2.63', { server: { name: 'x', imageRef: c.imageId, flavorRef: '1', networks: 'none', trusted_image_certificates: ['0b5d2c72-12cc-4ba6-a8d7-3ff5cc1d8cb8'] } });
    assert.equal(certs.status, 400);
    assert.match(certs.body.badRequest.message, /certificate validation is not supported/);
    const badName = await call('POST', '/v2.1/servers', '2.90', { server: { name: 'x', imageRef: c.imageId, flavorRef: '1', networks: 'none', hostname: '-bad-' } });
    assert.equal(badName.status, 400);
    const many = await call('POST', '/v2.1/servers', '2.90', { server: { name: 'x', imageRef: c.imageId, flavorRef: '1', networks: 'none', hostname: 'same', min_count: 2 } });
    assert.equal(many.status, 400);
    const listed = (await call('GET', '/v2.1/servers?name=^x$', '2.93')).body.servers;
    assert.deepEqual(listed, [], 'nothing refused was created');

    const id = await boot({ name: 'tagged', tags: ['web', 'prod'], hostname: 'tagged-web-1' });
    await settled(id, 'ACTIVE');
    const s = await show(id);
    assert.deepEqual(s.tags, ['prod', 'web']);
    assert.equal(s.trusted_image_certificates, null);
    assert.equal(s['OS-EXT-SRV-ATTR:hostname'], 'tagged-web-1', 'a member sees the hostname from 2.90');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], undefined, 'but still not the host');
    assert.deepEqual(s.server_groups, []);
    assert.equal(s.locked_reason, null);
    const old = await show(id, '2.25');
    assert.equal(old.tags, undefined);
    assert.equal(old['OS-EXT-SRV-ATTR:hostname'], undefined);
    const renamed = (await call('PUT', `/v2.1/servers/${id}`, '2.90', { server: { hostname: 'renamed' } })).body.server;
    assert.equal(renamed['OS-EXT-SRV-ATTR:hostname'], 'renamed');
    assert.deepEqual(renamed.server_groups, [], '2.71: update answers with the server groups');
    assert.equal((await call('PUT', `/v2.1/servers/${id}`, '2.89', { server: { hostname: 'again' } })).status, 400);
  });

  it('manages tags under /servers/{id}/tags (2.26): replace, add, check, remove, 50 at most, Nova\'s validation', async () => {
    const id = await boot({ name: 'tags-crud' });
    await settled(id, 'ACTIVE');
    const base = `/v2.1/servers/${id}/tags`;
    assert.equal((await call('GET', base, '2.25')).status, 404, 'no tags before 2.26');
    const replaced = await call('PUT', base, '2.26', { tags: ['b', 'a', 'a'] });
    assert.equal(replaced.status, 200);
    assert.deepEqual(replaced.body.tags, ['a', 'b']);
    const added = await call('PUT', `${base}/c%20d`, '2.26');
    assert.equal(added.status, 201);
    assert.match(added.headers.get('location') ?? '', /\/tags\/c%20d$/);
    assert.equal((await call('PUT', `${base}/a`, '2.26')).status, 204, 'an existing tag');
    assert.equal((await call('GET', `${base}/c%20d`, '2.26')).status, 204);
    assert.equal((await call('GET', `${base}/zz`, '2.26')).status, 404);
    assert.deepEqual((await call('GET', base, '2.26')).body.tags, ['a', 'b', 'c d']);
    assert.equal((await call('PUT', `${base}/x%2Cy`, '2.26')).status, 400, 'a comma');
    assert.equal((await call('PUT', `${base}/${'t'.repeat(61)}`, '2.26')).status, 400, 'too long');
    assert.equal((await call('PUT', base, '2.26', { tags: ['ok', 'no,comma'] })).status, 400);
    assert.equal((await call('PUT', base, '2.26', { tags: Array.from({ length: 51 }, (_, n) => `t${n}`) })).status, 400);
    assert.equal((await call('PUT', base, '2.26', { tags: Array.from({ length: 50 }, (_, n) => `t${n}`) })).status, 200);
    const over = await call('PUT', `${base}/one-more`, '2.26');
    assert.equal(over.status, 400);
    assert.match(over.body.badRequest.message, /per-server limit 50/);
    assert.equal((await call('GET', base, '2.26')).body.tags.length, 50, 'nothing changed');
    assert.equal((await call('DELETE', `${base}/t0`, '2.26')).status, 204);
    assert.equal((await call('DELETE', `${base}/t0`, '2.26')).status, 404);
    // Other projects do not see the server; a reader may read but not change tags.
    assert.equal((await call('GET', base, '2.26', undefined, c.as.bob.token)).status, 404);
    assert.equal((await call('GET', base, '2.26', undefined, c.as.rita.token)).status, 200);
    assert.equal((await call('PUT', `${base}/mine`, '2.26', undefined, c.as.rita.token)).status, 403);
    assert.equal((await call('DELETE', base, '2.26')).status, 204);
    assert.deepEqual((await call('GET', base, '2.26')).body.tags, []);
    assert.equal((await call('POST', `/v2.1/servers/${id}/action`, '2.26', { pause: null })).status, 202);
    await settled(id, 'PAUSED');
    assert.equal((await call('PUT', `${base}/paused-ok`, '2.26')).status, 201, 'a paused server may be tagged');
  });

  it('filters server lists by tags, tags-any, not-tags and not-tags-any (2.26), locked (2.73), and refuses unknown parameters from 2.75', async () => {
    const red = await boot({ name: 'f-red', tags: ['red', 'round'] });
    const blue = await boot({ name: 'f-blue', tags: ['blue', 'round'] });
    const plain = await boot({ name: 'f-plain' });
    const names = async (query: string, version = '2.93') =>
      ((await call('GET', `/v2.1/servers?name=^f-&${query}`, version)).body.servers as { name: string }[]).map((s) => s.name).sort();
    assert.deepEqual(await names('tags=red,round'), ['f-red']);
    assert.deepEqual(await names('tags-any=red,blue'), ['f-blue', 'f-red']);
    assert.deepEqual(await names('not-tags=red,round'), ['f-blue', 'f-plain']);
    assert.deepEqual(await names('not-tags-any=red,blue'), ['f-plain']);
    assert.deepEqual(await names('tags=round&not-tags-any=blue'), ['f-red']);
    assert.deepEqual(await names('tags=red', '2.25'), ['f-blue', 'f-plain', 'f-red'], 'ignored before 2.26');

    await settled(plain, 'ACTIVE');
    const lock = await call('POST', `/v2.1/servers/${plain}/action`, '2.73', { lock: { locked_reason: 'maintenance window' } });
    assert.equal(lock.status, 202);
    const locked = await show(plain);
    assert.equal(locked.locked, true);
    assert.equal(locked.locked_reason, 'maintenance window');
    assert.deepEqual(await names('locked=true'), ['f-plain']);
    assert.deepEqual(await names('locked=false'), ['f-blue', 'f-red']);
    assert.equal((await call('GET', '/v2.1/servers?locked=maybe', '2.73')).status, 400);
    assert.equal((await call('POST', `/v2.1/servers/${plain}/action`, '2.73', { lock: { reason: 'x' } })).status, 400);
    assert.equal((await call('POST', `/v2.1/servers/${plain}/action`, '2.73', { unlock: null })).status, 202);
    assert.equal((await show(plain)).locked_reason, null);

    assert.equal((await call('GET', '/v2.1/servers?bogus=1', '2.74')).status, 200, 'ignored before 2.75');
    const unknown = await call('GET', '/v2.1/servers?bogus=1', '2.75');
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.badRequest.message, /bogus/);
    assert.equal((await call('GET', '/v2.1/servers/detail?sort_key=display_name&ip=10.0.0.1', '2.75')).status, 200, 'known parameters pass');

    // 2.66 changes-before; with changes-since after it, a 400.
    const before = new Date(Date.now() + 60_000).toISOString();
    assert.ok((await names(`changes-before=${encodeURIComponent(before)}`)).includes('f-red'));
    assert.deepEqual(await names('changes-before=2000-01-01T00:00:00Z'), []);
    assert.equal((await call('GET', '/v2.1/servers?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z', '2.66')).status, 400);
    assert.equal((await call('GET', '/v2.1/servers?changes-before=yesterday', '2.66')).status, 400);
    // 2.83 filters for members.
    assert.deepEqual(await names(`user_id=${c.as.bob.userId ?? 'nobody'}`), []);
    await settled(red, 'ACTIVE');
    await settled(blue, 'ACTIVE');
    assert.deepEqual(await names('vm_state=active&power_state=1'), ['f-blue', 'f-plain', 'f-red']);
  });

  it('uses 2.64 server groups (policy and rules) and honours max_server_per_host on a requested host (2.74)', async () => {
    const legacy = await call('POST', '/v2.1/os-server-groups', '2.63', { server_group: { name: 'old', policies: ['anti-affinity'] } }, c.as.admin.token);
    assert.equal(legacy.status, 200);
    assert.deepEqual(legacy.body.server_group.policies, ['anti-affinity']);
    assert.equal((await call('POST', '/v2.1/os-server-groups', '2.64', { server_group: { name: 'x', policies: ['affinity'] } }, c.as.admin.token)).status, 400);
    assert.equal((await call('POST', '/v2.1/os-server-groups', '2.64', { server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } } }, c.as.admin.token)).status, 400,
      'rules only for anti-affinity');
    const created = await call('POST', '/v2.1/os-server-groups', '2.64', { server_group: { name: 'two-per-host', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } }, c.as.admin.token);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const g = created.body.server_group;
    assert.deepEqual([g.policy, g.rules, g.policies, g.metadata], ['anti-affinity', { max_server_per_host: 2 }, undefined, undefined]);
    assert.deepEqual((await call('GET', `/v2.1/os-server-groups/${g.id}`, '2.63', undefined, c.as.admin.token)).body.server_group.policies, ['anti-affinity']);

    // Only admins may name a host; an unknown one is a 400; with zone:host it is ambiguous.
    assert.equal((await call('POST', '/v2.1/servers', '2.74', { server: { name: 'h', imageRef: c.imageId, flavorRef: '1', networks: 'none', host: 'host-a' } })).status, 403);
    assert.equal((await call('POST', '/v2.1/servers', '2.73', { server: { name: 'h', imageRef: c.imageId, flavorRef: '1', networks: 'none', host: 'host-a' } }, c.as.admin.token)).status, 400);
    assert.equal((await call('POST', '/v2.1/servers', '2.74', { server: { name: 'h', imageRef: c.imageId, flavorRef: '1', networks: 'none', host: 'host-z' } }, c.as.admin.token)).status, 400);
    assert.equal((await call('POST', '/v2.1/servers', '2.74', { server: { name: 'h', imageRef: c.imageId, flavorRef: '1', networks: 'none', host: 'host-a', availability_zone: 'nova:host-a' } }, c.as.admin.token)).status, 400);

    const member = async (name: string) => {
      const res = await c.call('POST', '/v2.1/servers', { token: c.as.admin.token, version: '2.74', body: {
        server: { name, imageRef: c.imageId, flavorRef: '1', networks: 'none', host: 'host-a' }, 'os:scheduler_hints': { group: g.id },
      } });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.server.id as string;
    };
    const first = await member('g1');
    await settled(first, 'ACTIVE');
    const second = await member('g2');
    await settled(second, 'ACTIVE');
    const third = await member('g3');
    const failed = await c.waitForServer(third, c.as.admin.token, (s) => s?.status === 'ERROR');
    assert.match(failed.fault.message, /No valid host/);
    for (const id of [first, second]) assert.equal((await show(id, '2.93', c.as.admin.token))['OS-EXT-SRV-ATTR:host'], 'host-a');
    assert.deepEqual((await show(first, '2.71', c.as.admin.token)).server_groups, [g.id]);
    assert.equal((await show(first, '2.70', c.as.admin.token)).server_groups, undefined);
    const listed = (await call('GET', `/v2.1/servers/detail?name=^g1$`, '2.93', undefined, c.as.admin.token)).body.servers[0];
    assert.equal(listed.server_groups, undefined, 'lists do not carry server_groups');
  });

  it('shows host and hostId in action events (2.62) and event details (2.84); pages actions with changes-before (2.66)', async () => {
    const id = await boot({ name: 'events' });
    await settled(id, 'ACTIVE');
    const [create] = (await call('GET', `/v2.1/servers/${id}/os-instance-actions`, '2.93')).body.instanceActions;
    const member = (await call('GET', `/v2.1/servers/${id}/os-instance-actions/${create.request_id}`, '2.62')).body.instanceAction.events;
    const spawn = member.find((e: { host?: string; hostId: string }) => e.hostId);
    assert.ok(spawn, 'an event on a host has a hostId');
    assert.equal(spawn.host, undefined, 'members do not see the host');
    assert.match(spawn.hostId, /^[0-9a-f]{56}$/);
    assert.equal(spawn.hostId, (await show(id)).hostId, 'the same hash as the server\'s hostId');
    const admin = (await call('GET', `/v2.1/servers/${id}/os-instance-actions/${create.request_id}`, '2.84', undefined, c.as.admin.token)).body.instanceAction.events;
    assert.ok(admin.some((e: { host?: string }) => e.host === 'host-a' || e.host === 'host-b'));
    assert.ok(admin.every((e: object) => 'details' in e));
    const older = (await call('GET', `/v2.1/servers/${id}/os-instance-actions/${create.request_id}`, '2.83', undefined, c.as.admin.token)).body.instanceAction.events;
    assert.ok(older.every((e: object) => !('details' in e)));
    assert.deepEqual((await call('GET', `/v2.1/servers/${id}/os-instance-actions?changes-before=2000-01-01T00:00:00Z`, '2.66')).body.instanceActions, []);
    assert.equal((await call('GET', `/v2.1/servers/${id}/os-instance-actions?limit=1`, '2.66')).body.instanceActions.length, 1);
  });

  it('answers the topology (2.78), 2.88 hypervisors, 2.92 key pairs, and a rebuild with a hostname (2.90) but not with certificates', async () => {
    const id = await boot({ name: 'topo' });
    await settled(id, 'ACTIVE');
    assert.equal((await call('GET', `/v2.1/servers/${id}/topology`, '2.77')).status, 404);
    assert.deepEqual((await call('GET', `/v2.1/servers/${id}/topology`, '2.78')).body, { nodes: [], pagesize_kb: null });
    assert.equal((await call('GET', `/v2.1/servers/${id}/topology`, '2.78', undefined, c.as.bob.token)).status, 404);

    const hv = (await call('GET', '/v2.1/os-hypervisors/detail', '2.88', undefined, c.as.admin.token)).body.hypervisors[0];
    assert.equal(hv.vcpus, undefined);
    assert.match(hv.uptime, /^ \d\d:\d\d:\d\d up .+, +0 users, +load average: [\d.]+, [\d.]+, [\d.]+$/, 'the agent\'s uptime line');
    assert.equal((await call('GET', `/v2.1/os-hypervisors/${hv.id}/uptime`, '2.88', undefined, c.as.admin.token)).status, 404);
    const legacyUptime = (await call('GET', `/v2.1/os-hypervisors/${hv.id}/uptime`, '2.53', undefined, c.as.admin.token)).body.hypervisor;
    assert.equal(legacyUptime.id, hv.id);
    assert.match(legacyUptime.uptime, / up /);
    assert.ok(hv.service.host);
    assert.ok((await call('GET', '/v2.1/os-hypervisors/detail', '2.87', undefined, c.as.admin.token)).body.hypervisors[0].vcpus > 0);
    assert.equal((await call('GET', '/v2.1/os-hypervisors/statistics', '2.88', undefined, c.as.admin.token)).status, 404);

    assert.equal((await call('POST', '/v2.1/os-keypairs', '2.92', { keypair: { name: 'gen' } })).status, 400, 'no generated keys from 2.92');
    assert.equal((await call('POST', '/v2.1/os-keypairs', '2.91', { keypair: { name: 'a.b@c' } })).status, 400, "'.' and '@' need 2.92");
    const pub = (await call('POST', '/v2.1/os-keypairs', '2.91', { keypair: { name: 'gen-old' } })).body.keypair.public_key;
    const imported = await call('POST', '/v2.1/os-keypairs', '2.92', { keypair: { name: 'a.b@c', public_key: pub } });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));

    const rebuild = await call('POST', `/v2.1/servers/${id}/action`, '2.93', { rebuild: { imageRef: c.imageId, trusted_image_certificates: ['x'] } });
    assert.equal(rebuild.status, 400, 'certificates cannot be validated');
    const ok = await call('POST', `/v2.1/servers/${id}/action`, '2.93', { rebuild: { imageRef: c.imageId, hostname: 'rebuilt' } });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal(ok.body.server['OS-EXT-SRV-ATTR:hostname'], 'rebuilt');
    assert.deepEqual(ok.body.server.server_groups, []);
    await settled(id, 'ACTIVE');
  });

  it('unshelves an offloaded server onto a host (2.91, admins), checking zone (2.77) and host first', async () => {
    const id = await boot({ name: 'unshelve-me' });
    await settled(id, 'ACTIVE');
    const act = (body: unknown, version = '2.91', token = c.as.alice.token) => call('POST', `/v2.1/servers/${id}/action`, version, body, token);
    assert.equal((await act({ shelve: null })).status, 202);
    await settled(id, 'SHELVED_OFFLOADED');
    assert.equal((await call('PUT', `/v2.1/servers/${id}/tags/x`, '2.26')).status, 409, 'an offloaded server takes no tags (Nova: active, paused, suspended, stopped)');
    assert.equal((await act({ unshelve: { availability_zone: 'nova' } }, '2.76')).status, 400, 'availability_zone needs 2.77');
    assert.equal((await act({ unshelve: { host: 'host-b' } }, '2.90')).status, 400, 'host needs 2.91');
    assert.equal((await act({ unshelve: { availability_zone: 'nowhere' } })).status, 400);
    assert.equal((await act({ unshelve: { host: 'host-b' } })).status, 403, 'a member may not pick the host');
    assert.equal((await act({ unshelve: { host: 'host-z' } }, '2.91', c.as.admin.token)).status, 400);
    assert.equal((await show(id)).status, 'SHELVED_OFFLOADED', 'refusals change nothing');
    const host = (await show(id, '2.93', c.as.admin.token))['OS-EXT-SRV-ATTR:host'];
    assert.equal(host, null);
    assert.equal((await act({ unshelve: { host: 'host-b', availability_zone: null } }, '2.91', c.as.admin.token)).status, 202);
    await settled(id, 'ACTIVE');
    assert.equal((await show(id, '2.93', c.as.admin.token))['OS-EXT-SRV-ATTR:host'], 'host-b');
  });

  it('attaches a volume with delete_on_termination (2.79) and a tag (2.70), shows attachment_id and bdm_uuid (2.89), updates it (2.85), refuses a swap', async () => {
    const id = await boot({ name: 'with-volume' });
    await settled(id, 'ACTIVE');
    const cinder = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${c.volumeUrl}${path}`, {
        method, headers: { 'x-auth-token': c.as.alice.token, 'openstack-api-version': 'volume 3.60', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return text ? JSON.parse(text) : undefined;
    };
    const volume = (await cinder('POST', '/volumes', { volume: { size: 1, name: 'data' } })).volume.id as string;
    for (let i = 0; i < 200 && (await cinder('GET', `/volumes/${volume}`)).volume.status !== 'available'; i++) await new Promise((r) => setTimeout(r, 50));
    const base = `/v2.1/servers/${id}/os-volume_attachments`;
    assert.equal((await call('POST', base, '2.78', { volumeAttachment: { volumeId: volume, delete_on_termination: true } })).status, 400);
    const attached = await call('POST', base, '2.79', { volumeAttachment: { volumeId: volume, delete_on_termination: true, tag: 'data' } });
    assert.equal(attached.status, 200, JSON.stringify(attached.body));
    assert.equal(attached.body.volumeAttachment.delete_on_termination, true);
    assert.equal(attached.body.volumeAttachment.tag, 'data');
    const [old] = (await call('GET', base, '2.69')).body.volumeAttachments;
    assert.deepEqual(Object.keys(old).sort(), ['device', 'id', 'serverId', 'volumeId']);
    const [now] = (await call('GET', base, '2.89')).body.volumeAttachments;
    assert.equal(now.id, undefined);
    assert.match(now.attachment_id, /^[0-9a-f-]{36}$/);
    assert.match(now.bdm_uuid, /^[0-9a-f-]{36}$/);
    assert.equal(now.tag, 'data');
    assert.equal((await call('PUT', `${base}/${volume}`, '2.84', { volumeAttachment: { volumeId: volume, delete_on_termination: false } })).status, 400);
    assert.equal((await call('PUT', `${base}/${volume}`, '2.85', { volumeAttachment: { volumeId: volume, delete_on_termination: false } })).status, 202);
    assert.equal((await call('GET', `${base}/${volume}`, '2.85')).body.volumeAttachment.delete_on_termination, false);
    assert.equal((await show(id, '2.85'))['os-extended-volumes:volumes_attached'][0].delete_on_termination, false);
    const swap = await call('PUT', `${base}/${volume}`, '2.85', { volumeAttachment: { volumeId: '11111111-2222-3333-4444-555555555555' } }, c.as.admin.token);
    assert.equal(swap.status, 400);
    assert.equal((await call('PUT', `${base}/${volume}`, '2.85', { volumeAttachment: { volumeId: '11111111-2222-3333-4444-555555555555' } })).status, 403, 'swap is for admins');
  });

  it('makes a boot volume of the volume type asked for (2.67) and fails the build for a type Block Storage does not have', async () => {
    const cinder = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${c.volumeUrl}${path}`, {
        method, headers: { 'x-auth-token': token, 'openstack-api-version': 'volume 3.60', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return res.json() as Promise<Record<string, Record<string, unknown>>>;
    };
    await cinder('POST', '/types', c.as.admin.token, { volume_type: { name: 'fast' } });
    const bdm = (type: string) => [{ source_type: 'image', uuid: c.imageId, destination_type: 'volume', boot_index: 0, volume_size: 1, volume_type: type, delete_on_termination: true }];
    const create = (name: string, type: string, version = '2.67') => call('POST', '/v2.1/servers', version, { server: { name, flavorRef: '1', networks: 'none', block_device_mapping_v2: bdm(type) } });
    assert.equal((await create('typed', 'fast', '2.66')).status, 400, 'volume_type needs 2.67');
    const typed = await create('typed', 'fast');
    assert.equal(typed.status, 202, JSON.stringify(typed.body));
    await settled(typed.body.server.id, 'ACTIVE');
    const [attachment] = (await call('GET', `/v2.1/servers/${typed.body.server.id}/os-volume_attachments`, '2.67')).body.volumeAttachments;
    assert.equal((await cinder('GET', `/volumes/${attachment.volumeId}`, c.as.alice.token)).volume.volume_type, 'fast');
    const unknown = await create('untyped', 'no-such-type');
    assert.equal(unknown.status, 202);
    const failed = await c.waitForServer(unknown.body.server.id, c.as.admin.token, (s) => s?.status === 'ERROR', 60_000);
    assert.match(JSON.stringify(failed.fault), /no-such-type/);
  });

  it('filters os-migrations by user_id and project_id (2.80) and changes-before (2.66)', async () => {
    const id = await boot({ name: 'resized' });
    await settled(id, 'ACTIVE');
    assert.equal((await call('POST', `/v2.1/servers/${id}/action`, '2.80', { resize: { flavorRef: '2' } })).status, 202);
    await settled(id, 'VERIFY_RESIZE');
    const uuids = async (query: string, version = '2.80') =>
      ((await call('GET', `/v2.1/os-migrations?instance_uuid=${id}${query}`, version, undefined, c.as.admin.token)).body.migrations as { instance_uuid: string }[]).length;
    assert.equal(await uuids(`&user_id=${c.as.alice.userId}&project_id=${c.as.alice.projectId}`), 1);
    assert.equal(await uuids(`&user_id=${c.as.bob.userId}`), 0);
    assert.equal(await uuids(`&project_id=${c.as.bob.projectId}`), 0);
    assert.equal(await uuids(`&user_id=${c.as.bob.userId}`, '2.79'), 1, 'no user filter before 2.80');
    assert.equal(await uuids('&changes-before=2000-01-01T00:00:00Z', '2.66'), 0);
    assert.equal(await uuids('&changes-since=2000-01-01T00:00:00Z', '2.66'), 1);
    assert.equal((await call('GET', '/v2.1/os-migrations?changes-before=soon', '2.66', undefined, c.as.admin.token)).status, 400);
    assert.equal((await call('POST', `/v2.1/servers/${id}/action`, '2.80', { confirmResize: null })).status, 204);
    await settled(id, 'ACTIVE');
  });
});
