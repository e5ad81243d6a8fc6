// Shelve as the openstack CLI drives it, against stratus up with the fake driver and shelved_offload_time -1 (servers
// stay on their hosts until offloaded), so every path shows: shelve → SHELVED with the `<name>-shelved` image,
// unshelve → ACTIVE (powered on in place), shelve --offload → SHELVED_OFFLOADED on no host, unshelve → ACTIVE again
// on a scheduled host, the shelved image gone; the actions in `server event list`; refusals as clear errors.
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';

type Row = Record<string, unknown>;

describe('shelve through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud({ env: { STRATUS_COMPUTE_SHELVED_OFFLOAD_TIME: '-1' } });
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[]) => cloud().ok(args);
  const show = (name: string) => json(['server', 'show', name]);
  const shelvedImages = async () => (await json<Row[]>(['image', 'list'])).filter((i) => i.Name === 'web-shelved');

  it('boots a server to shelve', async () => {
    const file = join(cloud().dataDir, 'tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'tiny']);
    await ok(['network', 'create', 'private']);
    await ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.3.0.0/24', 'private-subnet']);
    const server = await json(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'web']);
    assert.equal(server.status, 'ACTIVE');
  });

  it('shelves the server into an image and unshelves it in place', async () => {
    await ok(['server', 'shelve', '--wait', 'web']);
    const shelved = await show('web');
    assert.equal(shelved.status, 'SHELVED');
    assert.equal(shelved['OS-EXT-STS:vm_state'], 'shelved');
    assert.equal(shelved['OS-EXT-STS:power_state'], 4);
    assert.ok(shelved['OS-EXT-SRV-ATTR:host'], 'a shelved server keeps its host until offloaded');
    const [image] = await shelvedImages();
    assert.equal(image?.Status, 'active');
    await ok(['server', 'unshelve', '--wait', 'web']);
    const back = await show('web');
    assert.equal(back.status, 'ACTIVE');
    assert.equal(back['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(await shelvedImages(), [], 'unshelve deletes the shelved image');
  });

  it('offloads a shelved server and unshelves it onto a host again, keeping its address', async () => {
    const address = JSON.stringify((await show('web')).addresses);
    await ok(['server', 'shelve', '--offload', '--wait', 'web']);
    const offloaded = await show('web');
    assert.equal(offloaded.status, 'SHELVED_OFFLOADED');
    assert.equal(offloaded['OS-EXT-SRV-ATTR:host'], null);
    assert.equal(JSON.stringify(offloaded.addresses), address);
    assert.equal((await shelvedImages()).length, 1);
    const [port] = await json<Row[]>(['port', 'list', '--server', 'web', '--long']);
    assert.ok(port, 'the port stays with the offloaded server');
    assert.equal((await json(['port', 'show', String(port.ID)]))['binding_host_id'], '');

    await ok(['server', 'unshelve', '--wait', 'web']);
    const back = await show('web');
    assert.equal(back.status, 'ACTIVE');
    assert.ok(back['OS-EXT-SRV-ATTR:host']);
    assert.equal(JSON.stringify(back.addresses), address);
    assert.deepEqual(await shelvedImages(), []);

    const events = await json<Row[]>(['server', 'event', 'list', 'web']);
    assert.deepEqual(events.map((e) => e.Action), ['unshelve', 'shelveOffload', 'shelve', 'unshelve', 'shelve', 'create']);
    const unshelve = await json(['server', 'event', 'show', 'web', String(events[0]['Request ID'])]);
    assert.match(JSON.stringify(unshelve.events), /schedule_instances/);
    assert.match(JSON.stringify(unshelve.events), /compute_unshelve_instance/);
    const offload = await json(['server', 'event', 'show', 'web', String(events[1]['Request ID'])]);
    assert.match(JSON.stringify(offload.events), /compute_shelve_offload_instance/);
  });

  it('lets a project member shelve but not offload (admins only), and deletes a shelved server with its image', async () => {
    const project = await json(['project', 'show', 'admin']);
    await ok(['user', 'create', '--password', 'member-secret-1', 'shelver']);
    await ok(['role', 'add', '--user', 'shelver', '--project', String(project.id), 'member']);
    cloud().addCloud('shelver', { username: 'shelver', password: 'member-secret-1', projectId: String(project.id) });
    const res = await cloud().openstack(['server', 'shelve', '--offload', '--wait', 'web'], { cloud: 'shelver' });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed/);
    assert.equal((await show('web')).status, 'SHELVED', 'the member\'s shelve itself went through');
    assert.equal((await shelvedImages()).length, 1);
    await ok(['server', 'delete', '--wait', 'web']);
    assert.deepEqual(await shelvedImages(), [], 'deleting a shelved server deletes its shelved image');
  });
});
