// Compute's newer microversions as the openstack CLI drives them (novaclient goes up to 2.92): server tags on create,
// set, unset and list filters, hostname, lock reasons, 2.64 server groups with rules, a requested host, 2.88
// hypervisors and 2.92 key pairs, against stratus up with two fake hosts.
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';

type Row = Record<string, unknown>;
const V = (minor: number) => ['--os-compute-api-version', `2.${minor}`];

describe('compute microversions through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud({ env: { STRATUS_COMPUTE_FAKE_HOSTS: '2' } });
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[]) => cloud().ok(args);

  it('advertises 2.93 and boots a server with tags and a hostname', async () => {
    const file = join(cloud().dataDir, 'tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'tiny']);
    const versions = await (await fetch(`http://127.0.0.1:${cloud().ports.compute}/`)).json() as { versions: { id: string; version: string }[] };
    assert.equal(versions.versions.find((v) => v.id === 'v2.1')?.version, '2.93');
    const server = await json([...V(92), 'server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--nic', 'none', '--tag', 'web', '--tag', 'prod',
      '--hostname', 'web-1', '--wait', 'tagged']);
    assert.equal(server.status, 'ACTIVE');
    const shown = await json([...V(92), 'server', 'show', 'tagged']);
    assert.match(JSON.stringify(shown.tags), /prod.*web|web.*prod/);
    assert.equal(shown['OS-EXT-SRV-ATTR:hostname'], 'web-1');
    assert.equal(shown.locked_reason, null);
  });

  it('sets and unsets tags and filters server lists by them', async () => {
    await json([...V(92), 'server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--nic', 'none', '--wait', 'plain']);
    await ok([...V(26), 'server', 'set', '--tag', 'extra', 'plain']);
    await ok([...V(26), 'server', 'unset', '--tag', 'prod', 'tagged']);
    const names = async (args: string[]) => (await json<Row[]>([...V(26), 'server', 'list', ...args])).map((s) => s.Name).sort();
    assert.deepEqual(await names(['--tags', 'web']), ['tagged']);
    assert.deepEqual(await names(['--tags', 'extra']), ['plain']);
    assert.deepEqual(await names(['--not-tags', 'web']), ['plain']);
    assert.deepEqual(await names(['--tags', 'prod']), []);
    const shown = await json([...V(26), 'server', 'show', 'tagged']);
    assert.doesNotMatch(JSON.stringify(shown.tags), /prod/);
  });

  it('locks a server with a reason (2.73) and lists locked servers', async () => {
    await ok([...V(73), 'server', 'lock', '--reason', 'maintenance', 'plain']);
    const shown = await json([...V(73), 'server', 'show', 'plain']);
    assert.equal(shown.locked, true);
    assert.equal(shown.locked_reason, 'maintenance');
    assert.deepEqual((await json<Row[]>([...V(73), 'server', 'list', '--locked'])).map((s) => s.Name), ['plain']);
    await ok([...V(73), 'server', 'unlock', 'plain']);
    assert.deepEqual(await json<Row[]>([...V(73), 'server', 'list', '--locked']), []);
  });

  it('creates a 2.64 server group with a rule and boots members onto a requested host (2.74) until the rule is full', async () => {
    const group = await json([...V(64), 'server', 'group', 'create', '--policy', 'anti-affinity', '--rule', 'max_server_per_host=2', 'pairs']);
    assert.equal(group.policy, 'anti-affinity');
    assert.match(JSON.stringify(group.rules), /max_server_per_host.*2/);
    const hosts = (await json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute'])).map((s) => String(s.Host)).sort();
    const boot = (name: string) => cloud().openstack([...V(74), 'server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--nic', 'none',
      '--hint', `group=${group.id}`, '--host', hosts[0], '--wait', name]);
    for (const name of ['p1', 'p2']) {
      const res = await boot(name);
      assert.equal(res.code, 0, res.stderr);
      assert.equal((await json([...V(74), 'server', 'show', name]))['OS-EXT-SRV-ATTR:host'], hosts[0]);
    }
    await boot('p3'); // the CLI's --wait reports the ERROR but exits 0
    const failed = await json([...V(74), 'server', 'show', 'p3']);
    assert.equal(failed.status, 'ERROR');
    assert.match(JSON.stringify(failed.fault), /No valid host/);
    const members = await json([...V(71), 'server', 'show', 'p1']);
    assert.match(JSON.stringify(members.server_groups), new RegExp(String(group.id)));
  });

  it('shows 2.88 hypervisors and imports a 2.92 key pair with @ and . in its name', async () => {
    const [hv] = await json<Row[]>([...V(88), 'hypervisor', 'list', '--long']);
    assert.ok(hv['Hypervisor Hostname']);
    const shown = await json([...V(88), 'hypervisor', 'show', String(hv['Hypervisor Hostname'])]);
    assert.equal(shown.vcpus, undefined);
    assert.match(String(shown.load_average), /^[\d.]+, [\d.]+, [\d.]+$/, 'the CLI parsed the agent\'s uptime line');
    const generated = await cloud().openstack([...V(92), 'keypair', 'create', 'generated']);
    assert.notEqual(generated.code, 0, '2.92 generates no keys');
    const pub = await cloud().openstack([...V(91), 'keypair', 'create', 'old-style']);
    assert.equal(pub.code, 0, pub.stderr);
    const keyFile = join(cloud().dataDir, 'id.pub');
    writeFileSync(keyFile, (await cloud().ok([...V(91), 'keypair', 'show', '--public-key', 'old-style'])).stdout);
    const imported = await cloud().openstack([...V(92), 'keypair', 'create', '--public-key', keyFile, 'ops@example.org']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.ok((await json<Row[]>([...V(92), 'keypair', 'list'])).some((k) => k.Name === 'ops@example.org'));
  });
});
