// The guest command line is a pure function of guest.json: these pin what QEMU must be told (sockets, disks, NICs,
// volumes, resume) and what must be refused before it reaches QEMU.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildQemuArgv, incomingUri, outgoingUri, tapOf, volumeNodeName } from './qemu-command.ts';
import { guestPaths } from './guest-dir.ts';
import type { GuestRecord } from './guest-dir.ts';

const uuid = '8a6c2a6e-3f5e-4c1e-9d7a-0b1c2d3e4f50';
const volumeId = 'f0e1d2c3-b4a5-4968-8776-655443322110';
const paths = guestPaths('/var/lib/stratus/instances', uuid);
const record = (over: Partial<GuestRecord> = {}): GuestRecord => ({
  spec: {
    uuid, name: 'web, 1', vcpus: 2, memoryMb: 512, rootGb: 1, ephemeralGb: 0, swapMb: 0,
    image: { id: 'img', diskFormat: 'qcow2', size: 1, properties: {} },
    nics: [{ portId: 'p1', macAddress: 'FA:16:3E:00:00:01', vifType: 'bridge', vifDetails: { tap_name: 'tapabc' } }],
    keyData: null, userData: null, metadata: {},
  },
  base: { imageId: 'img', format: 'qcow2' }, hasEphemeral: false, hasSwap: false, hasConfigDrive: false, volumes: [], ...over,
});
const after = (argv: string[], flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));

describe('qemu command line', () => {
  it('starts a daemonized pc guest with QMP, serial (logged) and VNC on unix sockets in its directory', () => {
    const argv = buildQemuArgv({ record: record(), paths, accel: 'tcg' });
    for (const flag of ['-nodefaults', '-no-user-config', '-daemonize']) assert.ok(argv.includes(flag), flag);
    assert.deepEqual(after(argv, '-pidfile'), [paths.pidfile]);
    assert.deepEqual(after(argv, '-machine'), ['pc']);
    assert.deepEqual(after(argv, '-accel'), ['tcg']);
    assert.ok(!argv.includes('-cpu'), 'TCG keeps the default CPU model');
    assert.deepEqual([after(argv, '-smp'), after(argv, '-m')], [['2'], ['512']]);
    assert.ok(after(argv, '-chardev').includes(`socket,id=qmp,path=${paths.qmp},server=on,wait=off`));
    assert.ok(after(argv, '-chardev').includes(`socket,id=serial0,path=${paths.serial},server=on,wait=off,logfile=${paths.consoleLog},logappend=on`));
    assert.deepEqual(after(argv, '-vnc'), [`unix:${paths.vnc}`]);
    assert.match(after(argv, '-smbios')[0], /product=OpenStack Nova/);
    // The user's server name never reaches QEMU's option parser.
    assert.ok(!argv.some((a) => a.includes('web, 1')));
    assert.deepEqual(after(buildQemuArgv({ record: record(), paths, accel: 'kvm' }), '-cpu'), ['host']);
  });

  it('boots from the root overlay and adds the flavor disks, the config drive (read-only) and volumes as virtio-blk', () => {
    const argv = buildQemuArgv({ record: record({ hasEphemeral: true, hasSwap: true, hasConfigDrive: true,
      volumes: [{ volumeId, device: '/dev/vdb', path: '/srv/volumes/volume-1', format: 'raw' }] }), paths, accel: 'tcg' });
    const blockdevs = after(argv, '-blockdev').map((j) => JSON.parse(j) as { 'node-name': string; driver: string; 'read-only': boolean; file: { filename: string } });
    assert.deepEqual(blockdevs.map((b) => [b['node-name'], b.driver, b.file.filename, b['read-only']]), [
      ['root', 'qcow2', paths.root, false], ['eph0', 'qcow2', paths.ephemeral, false], ['swap', 'qcow2', paths.swap, false],
      ['config', 'raw', paths.configDrive, true], [volumeNodeName(volumeId), 'raw', '/srv/volumes/volume-1', false],
    ]);
    const devices = after(argv, '-device').filter((d) => d.startsWith('virtio-blk-pci'));
    assert.equal(devices[0], 'virtio-blk-pci,drive=root,id=root,bootindex=0');
    assert.equal(devices[4], `virtio-blk-pci,drive=${volumeNodeName(volumeId)},id=vol-${volumeId},serial=${volumeId.slice(0, 20)}`);
    assert.ok(volumeNodeName(volumeId).length <= 31, 'QEMU node names are at most 31 characters');
  });

  it('plugs each port into its tap with its MAC, and refuses ports it cannot plug', () => {
    const argv = buildQemuArgv({ record: record(), paths, accel: 'tcg' });
    assert.deepEqual(after(argv, '-netdev'), ['tap,id=net0,ifname=tapabc,script=no,downscript=no,vhost=off']);
    assert.ok(after(argv, '-device').includes('virtio-net-pci,netdev=net0,mac=fa:16:3e:00:00:01,id=nic0'));
    const nic = record().spec.nics[0];
    assert.throws(() => tapOf({ ...nic, vifType: 'ovs' }), /only 'bridge'/);
    assert.throws(() => tapOf({ ...nic, vifDetails: { tap_name: 'tap0,script=/bin/evil' } }), /no valid tap/);
    assert.throws(() => tapOf({ ...nic, macAddress: 'fa:16:3e:00:00' }), /invalid MAC/);
  });

  it('resumes from the saved state paused, and keeps paths a shell would misread out of exec: URIs', () => {
    const argv = buildQemuArgv({ record: record(), paths, accel: 'tcg', incoming: true });
    assert.deepEqual(argv.slice(-3), ['-S', '-incoming', `exec:cat ${paths.memoryState}`]);
    assert.equal(outgoingUri('/x/memory.state'), 'exec:cat > /x/memory.state.part && mv /x/memory.state.part /x/memory.state');
    assert.throws(() => incomingUri('/x y/memory.state'), /characters/);
    assert.throws(() => outgoingUri('/x;rm -rf/memory.state'), /characters/);
    assert.throws(() => guestPaths('/x', '../etc'), /not an instance uuid/);
  });
});
