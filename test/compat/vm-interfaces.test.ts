// Interface hot-plug on a real VM (qemu under TCG, linuxbridge), through the openstack CLI: a server on one network,
// reached over a floating IP, gets a second network with `server add network`; the guest sees the new NIC with the
// port's MAC and the host has its tap; `server remove network` takes the NIC out of the guest and the tap off the host.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { run, until, useVmCloud, vmSkipReason } from './vm-harness.ts';
import type { Row } from './vm-harness.ts';

describe('interface hot-plug on a real VM through the openstack CLI', { skip: vmSkipReason() }, () => {
  const vm = useVmCloud();
  const json = <T = Row>(args: string[]): Promise<T> => vm().json<T>(args);
  const ok = (args: string[]) => vm().ok(args);
  const tapExists = async (portId: string) => (await run('ip', ['link', 'show', `tap${portId.slice(0, 11)}`])).code === 0;
  let fip = '';

  it('boots a server on network A behind a router, reachable over ssh through a floating IP', async () => {
    await vm().guestImage();
    await ok(['keypair', 'create', '--public-key', `${vm().key}.pub`, 'if-key']);
    await ok(['network', 'create', 'net-a']);
    await ok(['subnet', 'create', '--network', 'net-a', '--subnet-range', '10.50.0.0/24', 'net-a-subnet']);
    await ok(['router', 'create', 'r1']);
    await ok(['router', 'set', '--external-gateway', 'public', 'r1']);
    await ok(['router', 'add', 'subnet', 'r1', 'net-a-subnet']);
    // The project's default security group, by id (an admin sees every project's "default").
    const project = String((await json(['token', 'issue'])).project_id);
    const group = (await json<Row[]>(['security', 'group', 'list', '--project', project])).find((g) => g.Name === 'default');
    assert.ok(group, 'the project has a default security group');
    await ok(['security', 'group', 'rule', 'create', '--protocol', 'icmp', String(group.ID)]);
    await ok(['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', String(group.ID)]);
    const server = await json(['server', 'create', '--image', 'cirros-like', '--flavor', 'm1.tiny', '--key-name', 'if-key', '--network', 'net-a', '--wait', 'vm']);
    assert.equal(server.status, 'ACTIVE');
    fip = String((await json(['floating', 'ip', 'create', 'public'])).floating_ip_address);
    await ok(['server', 'add', 'floating', 'ip', 'vm', fip]);
    await vm().pings(fip);
    await vm().sshWorks(fip, 'hostname', /vm/);
  });

  it('adds network B: the guest sees a NIC with the new port\'s MAC, and the host has its tap; removing it takes both away', async () => {
    await ok(['network', 'create', 'net-b']);
    await ok(['subnet', 'create', '--network', 'net-b', '--subnet-range', '10.51.0.0/24', 'net-b-subnet']);
    await ok(['server', 'add', 'network', 'vm', 'net-b']);
    const [port] = await json<Row[]>(['port', 'list', '--server', 'vm', '--network', 'net-b']);
    assert.ok(port, 'the server has a port on net-b');
    const portId = String(port.ID);
    const mac = String(port['MAC Address']).toLowerCase();
    assert.match(JSON.stringify((await json(['server', 'show', 'vm'])).addresses), /net-b.*10\.51\.0\.\d+/);
    assert.ok(await tapExists(portId), 'the port\'s tap is on the host');
    const seen = await vm().sshWorks(fip, 'cat /sys/class/net/*/address', new RegExp(mac));
    assert.equal(seen.trim().split('\n').filter((l) => l !== '00:00:00:00:00:00').length, 2, `two NICs: ${seen}`);

    await ok(['server', 'remove', 'network', 'vm', 'net-b']);
    await until('the guest to let go of the NIC', async () => {
      const r = await vm().ssh(fip, 'cat /sys/class/net/*/address');
      return r.code === 0 && !r.stdout.includes(mac);
    }, 90_000, 2000);
    await until('the port and its tap to go', async () => (await json<Row[]>(['port', 'list', '--server', 'vm'])).length === 1 && !await tapExists(portId), 60_000);
    await vm().sshWorks(fip, 'hostname', /vm/);
    await ok(['server', 'delete', '--wait', 'vm']);
  });
});
