// Evacuate as the openstack CLI does it, on a cloud with two fake compute hosts: refused while the server's host is
// up; after `compute service set --down` the server is rebuilt on the other host (`server evacuate`, its default
// microversion sending onSharedStorage, and with --host at 2.29), its port follows, and `server migration list` shows
// the evacuations. python3-openstackclient 6.0's `server evacuate` sends the request and then fails on its own answer
// (it passes novaclient's TupleWithMeta to _prep_server_detail, which calls to_dict on it) whatever the cloud says, so
// the command exits 1 after an accepted evacuation: the test checks that client error and then the cloud's state.
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { until } from '#lib/test-wait.ts';
import { cliSkipReason, useCloud } from './harness.ts';
import type { CliOptions, CliResult } from './harness.ts';

type Row = Record<string, unknown>;

describe('evacuate through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud({ env: { STRATUS_COMPUTE_FAKE_HOSTS: '2' } });
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud().ok(args, opts);
  const hostOf = async (name: string) => String((await json(['server', 'show', name]))['OS-EXT-SRV-ATTR:host']);
  const settled = (name: string) => until(`${name} to settle`, async () => {
    const s = await json(['server', 'show', name]);
    return s['OS-EXT-STS:task_state'] === null && s.status === 'ACTIVE' ? s : undefined;
  }, { timeoutMs: 60_000, everyMs: 500 });

  it('evacuates servers off a host forced down, to the scheduler\'s pick and to a named host', async () => {
    const file = join(cloud().dataDir, 'evac.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'evac-img']);
    await ok(['network', 'create', 'evac-net']);
    await ok(['subnet', 'create', '--network', 'evac-net', '--subnet-range', '10.8.0.0/24', 'evac-subnet']);
    await ok(['server', 'create', '--image', 'evac-img', '--flavor', 'm1.tiny', '--network', 'evac-net', '--wait', 'evac-1']);
    const source = await hostOf('evac-1');
    await ok(['--os-compute-api-version', '2.74', 'server', 'create', '--image', 'evac-img', '--flavor', 'm1.tiny', '--network', 'evac-net',
      '--host', source, '--wait', 'evac-2']);
    assert.equal(await hostOf('evac-2'), source);

    const up = await cloud().openstack(['server', 'evacuate', 'evac-1']);
    assert.notEqual(up.code, 0, 'refused while the host is up');
    assert.match(up.stderr, /still in use/);

    await ok(['--os-compute-api-version', '2.53', 'compute', 'service', 'set', '--down', source, 'nova-compute']);
    const evacuate = async (args: string[]) => {
      const res = await cloud().openstack(args);
      assert.match(res.stderr, /'TupleWithMeta' object has no attribute 'to_dict'/, `only the client's own failure: ${res.stderr}`);
    };
    await evacuate(['server', 'evacuate', 'evac-1']);
    await settled('evac-1');
    const target = await hostOf('evac-1');
    assert.notEqual(target, source);
    const [port] = await json<Row[]>(['port', 'list', '--server', 'evac-1', '--long']);
    assert.equal((await json(['port', 'show', String(port.ID)])).binding_host_id, target, 'the port follows the server');

    await evacuate(['--os-compute-api-version', '2.29', 'server', 'evacuate', '--host', target, 'evac-2']);
    await settled('evac-2');
    assert.equal(await hostOf('evac-2'), target);

    const migrations = await json<Row[]>(['--os-compute-api-version', '2.59', 'server', 'migration', 'list', '--type', 'evacuation']);
    assert.equal(migrations.length, 2, JSON.stringify(migrations));
    assert.ok(migrations.every((m) => m.Status === 'done' && m['Source Compute'] === source && m['Dest Compute'] === target), JSON.stringify(migrations));
    await ok(['--os-compute-api-version', '2.53', 'compute', 'service', 'set', '--up', source, 'nova-compute']);
    await ok(['server', 'delete', '--wait', 'evac-1', 'evac-2']);
  });
});
