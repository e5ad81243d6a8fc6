// Shelve with a real guest (qemu under TCG, linuxbridge): a server on a private network is shelved — its disk
// snapshotted into `<name>-shelved` — and offloaded at once (Nova's default shelved_offload_time 0): no qemu process,
// no tap and no guest directory stay on the host. Unshelve spawns it from the shelved image and the guest boots again
// (its boot marker in a fresh console log), and the shelved image is gone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, useVmCloud, vmSkipReason } from './vm-harness.ts';
import type { Row } from './vm-harness.ts';

describe('shelve and unshelve a real VM', { skip: vmSkipReason() }, () => {
  const vm = useVmCloud();
  const json = <T = Row>(args: string[]): Promise<T> => vm().json<T>(args);
  const ok = (args: string[]) => vm().ok(args);
  const qemuOf = async (uuid: string) => (await run('pgrep', ['-f', `qemu-system-x86_64.*${uuid}`])).stdout.trim();
  const links = () => execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' });

  it('offloads a shelved guest off the host and boots it again on unshelve', async () => {
    await vm().guestImage();
    await ok(['network', 'create', 'shelf-net']);
    await ok(['subnet', 'create', '--network', 'shelf-net', '--subnet-range', '10.30.0.0/24', 'shelf-subnet']);
    const server = await json(['server', 'create', '--image', 'cirros-like', '--flavor', 'm1.tiny', '--network', 'shelf-net', '--wait', 'shelf1']);
    assert.equal(server.status, 'ACTIVE');
    const uuid = String(server.id);
    await vm().bootMarker('shelf1');
    const [port] = (await json<Row[]>(['port', 'list', '--server', 'shelf1'])).map((p) => String(p.ID));
    const tap = `tap${port.slice(0, 11)}`;
    assert.ok(links().includes(tap), 'the guest\'s tap is plugged');
    assert.notEqual(await qemuOf(uuid), '');

    await ok(['server', 'shelve', '--wait', 'shelf1']);
    await vm().settle('shelf1', 'SHELVED_OFFLOADED', 600_000);
    const image = await json(['image', 'show', 'shelf1-shelved']);
    assert.equal(image.status, 'active');
    assert.equal(await qemuOf(uuid), '', 'no qemu runs for the offloaded server');
    assert.ok(!links().includes(tap), 'its tap is gone');
    assert.ok(!existsSync(join(vm().cloud.dataDir, 'instances', uuid)), 'its guest directory is gone');
    assert.equal((await json(['port', 'show', port])).binding_host_id, '', 'its port is kept, unbound');

    await ok(['server', 'unshelve', '--wait', 'shelf1']);
    await vm().settle('shelf1', 'ACTIVE', 600_000);
    // The console log starts afresh with the new guest: one boot, from the shelved disk.
    const log = await vm().bootMarker('shelf1');
    assert.equal(log.match(/STRATUS-GUEST-READY/g)?.length, 1, log);
    assert.match(log, /STRATUS-GUEST-READY hostname=shelf1/);
    assert.ok(links().includes(tap), 'the port is plugged again');
    assert.notEqual((await vm().cloud.openstack(['image', 'show', 'shelf1-shelved'])).code, 0, 'the shelved image is deleted');
    await ok(['server', 'delete', '--wait', 'shelf1']);
    assert.equal(await qemuOf(uuid), '');
  });
});
