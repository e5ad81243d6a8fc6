// Compute as the openstack CLI (python3-openstackclient) sees it, against stratus up with the real Identity: the
// catalog entry, microversion negotiation, flavors with properties, access and delete, and the boot flow.
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';
import type { CliOptions, CliResult } from './harness.ts';
import { until } from '#lib/test-wait.ts';

/** Each check runs the CLI (a second or more on a loaded machine). */
const CLI_WAIT = { timeoutMs: 20_000, everyMs: 300 };

type Row = Record<string, unknown>;

describe('compute through the openstack CLI', { skip: cliSkipReason() }, () => {
  // Info logs, so `stratus trace` finds every service's requests in logs/stratus.log.
  const cloud = useCloud({ logLevel: 'info', env: { STRATUS_COMPUTE_FAKE_HOSTS: '2' } });

  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud().ok(args, opts);

  it('finds nova in the catalog and lists the default flavors', async () => {
    const services = await json<Row[]>(['catalog', 'list']);
    const nova = services.find((s) => s.Type === 'compute');
    assert.ok(nova, JSON.stringify(services));
    assert.equal(nova.Name, 'nova');
    const flavors = await json<Row[]>(['flavor', 'list']);
    assert.deepEqual(flavors.map((f) => f.Name), ['m1.tiny', 'm1.small', 'm1.medium']);
    const tiny = flavors.find((f) => f.Name === 'm1.tiny')!;
    assert.deepEqual([tiny.ID, tiny.RAM, tiny.Disk, tiny.VCPUs, tiny['Is Public']], ['1', 512, 1, 1, true]);
  });

  it('creates a flavor with properties, shows, sets and unsets them, and deletes it', async () => {
    const created = await json(['flavor', 'create', '--ram', '1024', '--disk', '10', '--vcpus', '2', '--id', 'cli-1', '--property', 'hw:cpu_policy=dedicated', 'cli.flavor']);
    assert.equal(created.id, 'cli-1');
    assert.equal(created.ram, 1024);
    const shown = await json(['flavor', 'show', 'cli.flavor']);
    assert.equal(shown.id, 'cli-1');
    assert.match(JSON.stringify(shown.properties), /hw:cpu_policy.*dedicated/);
    await ok(['flavor', 'set', '--property', 'quota:vif_inbound_average=100', 'cli.flavor']);
    await ok(['flavor', 'unset', '--property', 'hw:cpu_policy', 'cli.flavor']);
    const after = JSON.stringify((await json(['flavor', 'show', 'cli-1'])).properties);
    assert.match(after, /quota:vif_inbound_average/);
    assert.doesNotMatch(after, /hw:cpu_policy/);
    await ok(['flavor', 'delete', 'cli.flavor']);
    const gone = await cloud().openstack(['flavor', 'show', 'cli-1']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No Flavor found|could not be found/);
  });

  it('creates a private flavor shared with a project and lists it with --all', async () => {
    const projects = await json<Row[]>(['project', 'list']);
    const admin = projects.find((p) => p.Name === 'admin')!;
    await ok(['flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1', '--private', '--project', String(admin.ID), 'cli.private']);
    const publicOnly = await json<Row[]>(['flavor', 'list']);
    assert.ok(!publicOnly.some((f) => f.Name === 'cli.private'));
    const all = await json<Row[]>(['flavor', 'list', '--all']);
    assert.ok(all.some((f) => f.Name === 'cli.private' && f['Is Public'] === false));
    const shown = await json(['flavor', 'show', 'cli.private']);
    assert.match(JSON.stringify(shown.access_project_ids), new RegExp(String(admin.ID)));
    await ok(['flavor', 'delete', 'cli.private']);
  });

  it('boots a server from an image with a key pair, shows its events, stops and starts it, and deletes it', async () => {
    const file = join(cloud().dataDir, 'tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'tiny']);
    // Without --public-key the CLI prints the private key the cloud generated.
    const key = await ok(['keypair', 'create', 'cli-key']);
    assert.match(key.stdout, /BEGIN RSA PRIVATE KEY/);
    await ok(['network', 'create', 'private']);
    await ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.1.0.0/24', 'private-subnet']);
    const server = await json(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--key-name', 'cli-key', '--network', 'private',
      '--property', 'role=web', '--wait', 'vm-1']);
    assert.equal(server.status, 'ACTIVE');
    assert.equal(server.key_name, 'cli-key');
    const listed = await json<Row[]>(['server', 'list']);
    assert.deepEqual(listed.map((r) => [r.Name, r.Status, r.Image, r.Flavor]), [['vm-1', 'ACTIVE', 'tiny', 'm1.tiny']]);
    assert.match(JSON.stringify(listed[0].Networks), /private.*10\.1\.0\.\d+/);
    const ports = await json<Row[]>(['port', 'list', '--server', 'vm-1']);
    assert.equal(ports.length, 1);
    // stratus trace: the boot as one timeline across compute, the bus, Image and Placement.
    const trace = execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'src/cmd/stratus.ts', 'trace', 'vm-1'], {
      env: { ...process.env, STRATUS_DATA_DIR: cloud().dataDir }, encoding: 'utf8',
    });
    for (const step of [/compute +POST \/v2\.1\/servers → 202/, /call select_destinations/, /placement +PUT \/allocations\//,
      /image +GET \/v2\/images\//, /compute_build_and_run_instance \(Success\)/]) assert.match(trace, step);
    const events = await json<Row[]>(['server', 'event', 'list', 'vm-1']);
    assert.deepEqual(events.map((e) => e.Action), ['create']);
    const event = await json(['server', 'event', 'show', 'vm-1', String(events[0]['Request ID'])]);
    assert.match(JSON.stringify(event.events), /compute_build_and_run_instance/);
    await ok(['server', 'stop', 'vm-1']);
    await until('vm-1 SHUTOFF', async () => (await json(['server', 'show', 'vm-1'])).status === 'SHUTOFF', CLI_WAIT);
    await ok(['server', 'start', 'vm-1']);
    await until('vm-1 ACTIVE', async () => (await json(['server', 'show', 'vm-1'])).status === 'ACTIVE', CLI_WAIT);
    const hypervisors = await json<Row[]>(['hypervisor', 'list']);
    assert.equal(hypervisors.length, 2);
    assert.ok(hypervisors.every((h) => h['Hypervisor Type'] === 'fake'));
    const services = await json<Row[]>(['compute', 'service', 'list']);
    assert.ok(services.some((r) => r.Binary === 'nova-compute' && r.State === 'up'), JSON.stringify(services));
    await ok(['volume', 'create', '--size', '1', 'data']);
    await until('volume data available', async () => (await json(['volume', 'show', 'data'])).status === 'available', CLI_WAIT);
    await ok(['server', 'add', 'volume', 'vm-1', 'data']);
    await until('volume data in-use', async () => (await json(['volume', 'show', 'data'])).status === 'in-use', CLI_WAIT);
    assert.match(JSON.stringify((await json(['server', 'show', 'vm-1'])).volumes_attached), /id/);
    await ok(['server', 'remove', 'volume', 'vm-1', 'data']);
    await until('volume data available', async () => (await json(['volume', 'show', 'data'])).status === 'available', CLI_WAIT);
    await ok(['volume', 'delete', 'data']);
    await ok(['server', 'set', '--property', 'tier=web', 'vm-1']);
    assert.match(JSON.stringify((await json(['server', 'show', 'vm-1'])).properties), /tier.*web/);
    await ok(['server', 'unset', '--property', 'tier', 'vm-1']);
    const log = await ok(['console', 'log', 'show', '--lines', '5', 'vm-1']);
    assert.match(log.stdout, /fake hypervisor: powered on/);
    // A snapshot becomes an active private image of the project, recorded as the server's createImage action.
    const snap = await json(['server', 'image', 'create', '--name', 'vm-1-snap', '--wait', 'vm-1']);
    assert.equal(snap.status, 'active');
    const snapImage = await json(['image', 'show', 'vm-1-snap']);
    assert.match(JSON.stringify(snapImage.properties), /image_type.*snapshot/);
    await ok(['image', 'delete', 'vm-1-snap']);
    await ok(['server', 'delete', '--wait', 'vm-1']);
    assert.deepEqual(await json<Row[]>(['server', 'list']), []);
    assert.deepEqual(await json<Row[]>(['port', 'list', '--device-owner', 'compute:nova']), []);
  });

  it('places two members of an anti-affinity server group on different hosts', async () => {
    const group = await json(['server', 'group', 'create', '--policy', 'anti-affinity', 'spread']);
    for (const name of ['g-1', 'g-2']) {
      await ok(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--hint', `group=${group.id}`, '--wait', name]);
    }
    const hosts = await Promise.all(['g-1', 'g-2'].map(async (n) => (await json(['server', 'show', n]))['OS-EXT-SRV-ATTR:host']));
    assert.notEqual(hosts[0], hosts[1]);
    const shown = await json(['server', 'group', 'show', 'spread']);
    assert.equal(String(shown.members).split(',').length, 2);
    const zones = await json<Row[]>(['availability', 'zone', 'list', '--compute']);
    assert.deepEqual(zones.map((z) => [z['Zone Name'], z['Zone Status']]).sort(), [['internal', 'available'], ['nova', 'available']]);
    await ok(['quota', 'set', '--instances', '12', '--cores', '30', 'admin']);
    const limits = await json<Row[]>(['limits', 'show', '--absolute']);
    const limit = (name: string) => limits.find((l) => l.Name === name)?.Value;
    assert.equal(limit('maxTotalInstances'), 12);
    assert.equal(limit('maxTotalCores'), 30);
    assert.equal(limit('totalInstancesUsed'), 2);
    const usage = await json<Row[]>(['usage', 'list']);
    assert.equal(usage.length, 1);
    // vm-1 (deleted, but within the period), g-1 and g-2.
    const servers = usage[0].Servers;
    assert.equal(Array.isArray(servers) ? servers.length : servers, 3);
    await ok(['server', 'delete', '--wait', 'g-1', 'g-2']);
    await ok(['server', 'group', 'delete', 'spread']);
  });

  it('zones a host through an aggregate, boots into the zone, resizes with a confirm, and rebuilds', async () => {
    const hosts = (await json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute'])).map((r) => String(r.Host)).sort();
    const agg = await json(['aggregate', 'create', '--zone', 'az1', 'agg1']);
    assert.equal(agg.availability_zone, 'az1');
    await ok(['aggregate', 'add', 'host', 'agg1', hosts[0]]);
    const zones = await json<Row[]>(['availability', 'zone', 'list', '--compute']);
    assert.deepEqual(zones.map((z) => [z['Zone Name'], z['Zone Status']]).sort(), [['az1', 'available'], ['internal', 'available'], ['nova', 'available']]);
    const file = join(cloud().dataDir, 'az.img');
    writeFileSync(file, Buffer.alloc(4096, 2));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'az-img']);
    const server = await json(['server', 'create', '--image', 'az-img', '--flavor', 'm1.tiny', '--availability-zone', 'az1', '--wait', 'az-vm']);
    assert.equal(server['OS-EXT-AZ:availability_zone'], 'az1');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], hosts[0]);
    // The zone has one host: the resize stays on it (allow_resize_to_same_host).
    await ok(['server', 'resize', '--flavor', 'm1.small', '--wait', 'az-vm']);
    assert.equal((await json(['server', 'show', 'az-vm'])).status, 'VERIFY_RESIZE');
    await ok(['server', 'resize', 'confirm', 'az-vm']);
    let confirmed: Row = {};
    await until('az-vm ACTIVE', async () => (confirmed = await json(['server', 'show', 'az-vm'])).status === 'ACTIVE', CLI_WAIT);
    assert.match(JSON.stringify(confirmed.flavor), /m1\.small/);
    await ok(['server', 'rebuild', '--image', 'az-img', '--wait', 'az-vm']);
    const events = await json<Row[]>(['server', 'event', 'list', 'az-vm']);
    assert.deepEqual(events.map((e) => e.Action), ['rebuild', 'confirmResize', 'resize', 'create']);
    await ok(['server', 'delete', '--wait', 'az-vm']);
  });
});

