// Live migration as the openstack CLI does it, on a cloud with two fake compute hosts: `server migrate
// --live-migration` with and without --host, the migration records (`server migration list`), and the server's port
// bound to its new host in Networking.
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';
import type { CliOptions, CliResult } from './harness.ts';

type Row = Record<string, unknown>;

describe('live migration through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud({ env: { STRATUS_COMPUTE_FAKE_HOSTS: '2' } });
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud().ok(args, opts);
  const hostOf = async (name: string) => String((await json(['server', 'show', name]))['OS-EXT-SRV-ATTR:host']);

  it('live migrates a running server between the hosts, to the scheduler\'s pick and to a named host', async () => {
    const file = join(cloud().dataDir, 'live.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'live-img']);
    await ok(['network', 'create', 'live-net']);
    await ok(['subnet', 'create', '--network', 'live-net', '--subnet-range', '10.9.0.0/24', 'live-subnet']);
    const server = await json(['server', 'create', '--image', 'live-img', '--flavor', 'm1.tiny', '--network', 'live-net', '--wait', 'live-1']);
    assert.equal(server.status, 'ACTIVE');
    const source = await hostOf('live-1');

    await ok(['server', 'migrate', '--live-migration', '--wait', 'live-1']);
    const first = await hostOf('live-1');
    assert.notEqual(first, source, 'the scheduler picked the other host');
    assert.equal((await json(['server', 'show', 'live-1'])).status, 'ACTIVE');
    const [port] = await json<Row[]>(['port', 'list', '--server', 'live-1', '--long']);
    assert.equal((await json(['port', 'show', String(port.ID)])).binding_host_id, first, 'the port follows the server');

    await ok(['--os-compute-api-version', '2.30', 'server', 'migrate', '--live-migration', '--host', source, '--wait', 'live-1']);
    assert.equal(await hostOf('live-1'), source, 'back on the named host');

    const own = await cloud().openstack(['--os-compute-api-version', '2.30', 'server', 'migrate', '--live-migration', '--host', source, 'live-1']);
    assert.notEqual(own.code, 0, 'never to its own host');
    assert.match(own.stderr, /current host/);

    const migrations = await json<Row[]>(['--os-compute-api-version', '2.59', 'server', 'migration', 'list', '--server', 'live-1']);
    const live = migrations.filter((m) => m.Type === 'live-migration');
    assert.equal(live.length, 2, JSON.stringify(migrations));
    assert.ok(live.every((m) => m.Status === 'completed'));
    assert.deepEqual(live.map((m) => [m['Source Compute'], m['Dest Compute']]).reverse(), [[source, first], [first, source]]);
    await ok(['server', 'delete', '--wait', 'live-1']);
  });
});
