// Rescue, unrescue and diagnostics as the openstack CLI (python3-openstackclient, Zed) drives them against stratus up
// with the fake driver: `server rescue` (with the server's image, then another with a password), `server show`
// statuses, `server event list`, `server unrescue`, `server show --diagnostics` in the old and the 2.48 form, and
// the refusals a user sees.
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';
import { until } from '#lib/test-wait.ts';

type Row = Record<string, unknown>;


describe('rescue and diagnostics through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud();
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[]) => cloud().ok(args);
  const settle = (want: string) => until(`status ${want}`, async () => {
    const s = await json(['server', 'show', 'vm-r']);
    return s.status === want && s['OS-EXT-STS:task_state'] === null;
  }, { timeoutMs: 20_000, everyMs: 300 });

  it('rescues a server with its own image and with another one, shows RESCUE, and unrescues it', async () => {
    const file = join(cloud().dataDir, 'tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'tiny']);
    const tool = await json(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'rescue-tool']);
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public',
      '--property', 'hw_rescue_device=cdrom', '--property', 'hw_rescue_bus=ide', 'cdrom-tool']);
    await ok(['network', 'create', 'private']);
    await ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.3.0.0/24', 'private-subnet']);
    const server = await json(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'private', '--wait', 'vm-r']);
    assert.equal(server.status, 'ACTIVE');

    await ok(['server', 'rescue', 'vm-r']);
    await settle('RESCUE');
    assert.equal((await json(['server', 'show', 'vm-r']))['OS-EXT-STS:vm_state'], 'rescued');
    const log = await ok(['console', 'log', 'show', 'vm-r']);
    assert.match(log.stdout, /fake hypervisor: rescued: booted from image/);
    await cloud().fails(['server', 'rescue', 'vm-r'], /Cannot 'rescue' instance .* while it is in vm_state rescued/);
    await ok(['server', 'unrescue', 'vm-r']);
    await settle('ACTIVE');

    await ok(['server', 'rescue', '--image', 'rescue-tool', '--password', 'Open-Sesame-1', 'vm-r']);
    await settle('RESCUE');
    assert.match((await ok(['console', 'log', 'show', 'vm-r'])).stdout, new RegExp(`rescued: booted from image ${String(tool.id)}`));
    await ok(['server', 'unrescue', 'vm-r']);
    await settle('ACTIVE');
    await cloud().fails(['server', 'unrescue', 'vm-r'], /Cannot 'unrescue' instance .* while it is in vm_state active/);
    // (The CLI sends no image at all for a name it cannot find, so the refusal shown is the API's own.)
    await cloud().fails(['server', 'rescue', '--image', 'cdrom-tool', 'vm-r'], /cannot be rescued: .*virtio disk/);
    assert.equal((await json(['server', 'show', 'vm-r'])).status, 'ACTIVE');

    const events = await json<Row[]>(['server', 'event', 'list', 'vm-r']);
    assert.deepEqual(events.map((e) => e.Action).filter((a) => a !== 'create'), ['unrescue', 'rescue', 'unrescue', 'rescue']);
  });

  it('shows diagnostics: the driver-specific dict by default, the standard form with --os-compute-api-version 2.48', async () => {
    const old = await json(['server', 'show', '--diagnostics', 'vm-r']);
    assert.equal(old.cpu0_time, 0);
    assert.equal(old.memory, 512 * 1024);
    const std = await json(['--os-compute-api-version', '2.48', 'server', 'show', '--diagnostics', 'vm-r']);
    assert.deepEqual([std.state, std.driver, std.hypervisor, std.num_cpus, std.num_nics, std.num_disks], ['running', 'libvirt', 'fake', 1, 1, 1]);
    assert.deepEqual(std.memory_details, { maximum: 512, used: 0 });
    const port = (await json<Row[]>(['port', 'list', '--server', 'vm-r']))[0];
    assert.equal((std.nic_details as Row[])[0].mac_address, port['MAC Address']);
    await ok(['server', 'stop', 'vm-r']);
    await settle('SHUTOFF');
    await cloud().fails(['server', 'show', '--diagnostics', 'vm-r'], /Error retrieving diagnostics|power state shutdown/);
    await ok(['server', 'delete', '--wait', 'vm-r']);
  });
});
