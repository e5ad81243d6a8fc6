// The metadata agent on its unix socket against the real server's answers: a guest's address on a network is
// resolved to its instance, whose identity reaches a stand-in for Compute's metadata API signed; nobody else gets in.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createHmac, randomUUID } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../api/test-network.ts';
import type { TestNetwork } from '../api/test-network.ts';
import { startMetadataAgent } from './metadata-agent.ts';
import type { MetadataAgent } from './metadata-agent.ts';

function viaSocket(socketPath: string, path: string, headers: OutgoingHttpHeaders): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

describe('metadata agent', () => {
  let n: TestNetwork;
  let agent: MetadataAgent;
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const nova = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('from nova');
  });
  let socketPath: string;
  before(async () => {
    n = await startNetwork();
    await new Promise<void>((r) => nova.listen(0, '127.0.0.1', r));
    socketPath = join(n.dir, 'metadata_proxy');
    agent = await startMetadataAgent({
      bus: n.bus, host: 'h', socketPath, novaMetadataUrl: `http://127.0.0.1:${(nova.address() as AddressInfo).port}`, sharedSecret: 's3cret', log: silentLogger(),
    });
  });
  after(async () => {
    await agent?.close();
    nova.close();
    await n?.close();
  });

  it('forwards a guest\'s request with its instance\'s signed identity, and refuses what it cannot place', async () => {
    const net = await n.create(n.as.alice, 'networks', 'network', { name: 'm' });
    await n.create(n.as.alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: '10.60.0.0/24' });
    const instanceId = randomUUID();
    const port = await n.create(n.as.alice, 'ports', 'port', { network_id: net.id, device_id: instanceId, device_owner: 'compute:nova' });
    const ip = port.fixed_ips[0].ip_address as string;

    const ok = await viaSocket(socketPath, '//latest/meta-data/instance-id', { 'x-neutron-network-id': net.id, 'x-forwarded-for': ip, 'x-instance-id': 'forged' });
    assert.deepEqual(ok, { status: 200, body: 'from nova' });
    const h = seen.at(-1)!;
    assert.equal(h.url, '/latest/meta-data/instance-id', 'a path stays a path on the metadata API');
    assert.deepEqual([h.headers['x-instance-id'], h.headers['x-tenant-id'], h.headers['x-forwarded-for']], [instanceId, port.project_id, ip]);
    assert.equal(h.headers['x-instance-id-signature'], createHmac('sha256', 's3cret').update(instanceId).digest('hex'));

    const calls = seen.length;
    assert.equal((await viaSocket(socketPath, '/', { 'x-neutron-network-id': net.id, 'x-forwarded-for': '10.60.0.250' })).status, 404, 'an address no port holds');
    assert.equal((await viaSocket(socketPath, '/', { 'x-neutron-network-id': randomUUID(), 'x-forwarded-for': ip })).status, 404, 'another network');
    assert.equal((await viaSocket(socketPath, '/', { 'x-forwarded-for': ip })).status, 400, 'not from a proxy');
    assert.equal(seen.length, calls, 'none of those reached Compute');
  });
});
