// Server security groups and x509 key pairs as the openstack CLI does them against stratus up (fake compute driver):
// server add/remove security group (the group lands on and leaves the server's ports, as port show says), the error
// for a group that does not exist; x509 key pairs (imported with Nova's SHA-1 fingerprint, and generated) as keypair
// list and show see them.
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';

type Row = Record<string, unknown>;

describe('server security groups and x509 key pairs through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud();
  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);
  const ok = (args: string[]) => cloud().ok(args);
  /** The security group ids on the server's one port, as Networking has them. */
  const portGroups = async () => {
    const [port] = await json<Row[]>(['port', 'list', '--server', 'vm']);
    return (await json(['port', 'show', String(port.ID)])).security_group_ids as string[];
  };

  it('adds a security group to a server and removes it, and refuses one that does not exist', async () => {
    const file = join(cloud().dataDir, 'tiny.img');
    writeFileSync(file, Buffer.alloc(65536, 1));
    await ok(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, '--public', 'tiny']);
    await ok(['network', 'create', 'net-a']);
    await ok(['subnet', 'create', '--network', 'net-a', '--subnet-range', '10.41.0.0/24', 'net-a-subnet']);
    const server = await json(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'net-a', '--wait', 'vm']);
    assert.equal(server.status, 'ACTIVE');
    const web = await json(['security', 'group', 'create', 'web']);
    const before = await portGroups();

    await ok(['server', 'add', 'security', 'group', 'vm', 'web']);
    assert.deepEqual((await portGroups()).sort(), [...before, String(web.id)].sort());
    assert.match(JSON.stringify((await json(['server', 'show', 'vm'])).security_groups), /web/);

    await ok(['server', 'remove', 'security', 'group', 'vm', 'web']);
    assert.deepEqual(await portGroups(), before);
    assert.doesNotMatch(JSON.stringify((await json(['server', 'show', 'vm'])).security_groups), /web/);

    await cloud().fails(['server', 'add', 'security', 'group', 'vm', 'no-such-group'], /none found/);
    await cloud().fails(['server', 'remove', 'security', 'group', 'vm', 'web'], /Security group \S+ not associated with the instance/);
    await ok(['server', 'delete', '--wait', 'vm']);
  });

  it('lists and shows x509 key pairs imported and generated through the API, and refuses a bad certificate', async () => {
    const dir = cloud().dataDir;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'cert.key'), '-out', join(dir, 'cert.pem'),
      '-subj', '/CN=compat-user', '-days', '1', '-config', '/dev/null'], { stdio: 'ignore' });
    const pem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    // This CLI hands --type to openstacksdk as key_type, which its Keypair does not know: the request goes out as an
    // ssh key, so a certificate is refused as one (as Nova would). The x509 requests are made directly.
    await cloud().fails(['--os-compute-api-version', '2.2', 'keypair', 'create', '--type', 'x509', '--public-key', join(dir, 'cert.pem'), 'via-cli'],
      /Keypair data is invalid/);
    const token = String((await json(['token', 'issue'])).id);
    const [endpoint] = await json<Row[]>(['endpoint', 'list', '--service', 'compute', '--interface', 'public']);
    const create = async (keypair: Row) => {
      const res = await fetch(`${String(endpoint.URL)}/os-keypairs`, {
        method: 'POST', body: JSON.stringify({ keypair }),
        headers: { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.2' },
      });
      return { status: res.status, body: await res.json() as Record<string, Row> };
    };
    const imported = await create({ name: 'cert', type: 'x509', public_key: pem });
    assert.equal(imported.status, 201, JSON.stringify(imported.body));
    const made = await create({ name: 'made', type: 'x509' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.match(String(made.body.keypair.private_key), /BEGIN PRIVATE KEY/);
    const bad = await create({ name: 'bad', type: 'x509', public_key: readFileSync(join(dir, 'cert.key'), 'utf8') });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.badRequest.message), /failed to generate X509 fingerprint/);

    const shown = await json(['--os-compute-api-version', '2.2', 'keypair', 'show', 'cert']);
    assert.equal(shown.fingerprint, new X509Certificate(pem).fingerprint.toLowerCase());
    assert.equal(shown.type, 'x509');
    const listed = await json<Row[]>(['--os-compute-api-version', '2.2', 'keypair', 'list']);
    assert.deepEqual(listed.map((k) => [k.Name, k.Type]).sort(), [['cert', 'x509'], ['made', 'x509']]);
    await ok(['keypair', 'delete', 'cert', 'made']);
  });
});
