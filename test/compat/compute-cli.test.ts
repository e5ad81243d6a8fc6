// Compute as the openstack CLI (python3-openstackclient) sees it, against stratus up with the real Identity: the
// catalog entry, microversion negotiation, and flavors with properties, access and delete.
import { after, before, describe, it } from 'node:test';
import { rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { cliSkipReason, startCloud } from './harness.ts';
import type { CliOptions, CliResult, RunningCloud } from './harness.ts';

type Row = Record<string, unknown>;

describe('compute through the openstack CLI', { skip: cliSkipReason() }, () => {
  let cloud: RunningCloud;
  before(async () => { cloud = await startCloud(); });
  after(async () => {
    await cloud?.stop();
    if (cloud) rmSync(cloud.dataDir, { recursive: true, force: true });
  });

  const json = <T = Row>(args: string[]): Promise<T> => cloud.openstackJson<T>(args);
  const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud.ok(args, opts);

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
    const gone = await cloud.openstack(['flavor', 'show', 'cli-1']);
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
});
