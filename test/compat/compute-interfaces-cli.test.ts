// Interface attach and detach as the openstack CLI does them against stratus up (fake compute driver): server add
// network and add port, port list --server, server remove port (the user's port stays, unbound) and remove network
// (compute's port is deleted), and the errors a user sees for a port that is taken or not attached.
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';

type Row = Record<string, unknown>;

describe('interface attach through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud();
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[]) => cloud().ok(args);
  const serverPorts = async () => (await json<Row[]>(['port', 'list', '--server', 'vm'])).map((p) => String(p.ID)).sort();
  /** Detach is asynchronous (a cast): wait for the server's port list to settle on `want`. */
  const portsBecome = async (want: string[]) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await serverPorts();
      if (JSON.stringify(now) === JSON.stringify([...want].sort())) return;
      if (Date.now() > deadline) throw new Error(`server ports are ${JSON.stringify(now)}, expected ${JSON.stringify(want)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  let bootPort = '';

  it('adds a network and a port to a server and lists them as its ports', async () => {
    const file = join(cloud().dataDir, 'tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'tiny']);
    for (const [net, cidr] of [['net-a', '10.31.0.0/24'], ['net-b', '10.32.0.0/24']]) {
      await ok(['network', 'create', net]);
      await ok(['subnet', 'create', '--network', net, '--subnet-range', cidr, `${net}-subnet`]);
    }
    const server = await json(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'net-a', '--wait', 'vm']);
    assert.equal(server.status, 'ACTIVE');
    [bootPort] = await serverPorts();

    await ok(['server', 'add', 'network', 'vm', 'net-b']);
    const ports = await json<Row[]>(['port', 'list', '--server', 'vm', '--long']);
    assert.equal(ports.length, 2);
    assert.match(JSON.stringify(ports), /10\.32\.0\.\d+/);
    assert.match(JSON.stringify((await json(['server', 'show', 'vm'])).addresses), /net-b.*10\.32\.0\.\d+/);

    const mine = await json(['port', 'create', '--network', 'net-b', '--fixed-ip', 'ip-address=10.32.0.99', 'my-port']);
    await ok(['server', 'add', 'port', 'vm', 'my-port']);
    assert.equal((await serverPorts()).length, 3);
    assert.ok((await serverPorts()).includes(String(mine.id)));
    assert.match(JSON.stringify((await json(['server', 'show', 'vm'])).addresses), /10\.32\.0\.99/);
  });

  it('refuses a port another server uses and a port the server does not have', async () => {
    await cloud().fails(['server', 'add', 'port', 'vm', bootPort], /still in use/);
    await ok(['port', 'create', '--network', 'net-a', 'loose-port']);
    await cloud().fails(['server', 'remove', 'port', 'vm', 'loose-port'], /not attached/);
    await cloud().fails(['server', 'add', 'network', 'vm', 'no-such-net'], /No Network found for no-such-net/);
    assert.equal((await serverPorts()).length, 3);
  });

  it('removes the user\'s port (kept, unbound) and the network (its port deleted)', async () => {
    const mine = String((await json(['port', 'show', 'my-port'])).id);
    await ok(['server', 'remove', 'port', 'vm', 'my-port']);
    await portsBecome((await serverPorts()).filter((p) => p !== mine));
    const kept = await json(['port', 'show', 'my-port']);
    assert.equal(kept.device_id, '');
    assert.equal(kept.status, 'DOWN');

    const onB = (await json<Row[]>(['port', 'list', '--server', 'vm', '--network', 'net-b'])).map((p) => String(p.ID));
    assert.equal(onB.length, 1);
    await ok(['server', 'remove', 'network', 'vm', 'net-b']);
    await portsBecome([bootPort]);
    assert.notEqual((await cloud().openstack(['port', 'show', onB[0]])).code, 0, 'the port compute created is deleted');
    assert.doesNotMatch(JSON.stringify((await json(['server', 'show', 'vm'])).addresses), /net-b/);
    const actions = (await json<Row[]>(['server', 'event', 'list', 'vm'])).map((e) => e.Action);
    assert.ok(actions.includes('attach_interface') && actions.includes('detach_interface'), JSON.stringify(actions));
    await ok(['server', 'delete', '--wait', 'vm']);
  });
});
