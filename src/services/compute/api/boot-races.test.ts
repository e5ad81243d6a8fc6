// Concurrent boots racing for the last capacity of a host: Placement's claims decide, so exactly as many servers
// become ACTIVE as the host can hold, the rest end in ERROR with NoValidHost, and nothing is over-committed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeDriver } from '../roles.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';

describe('boots racing for the last capacity', () => {
  let c: TestCompute;
  // 2 vCPUs at the default allocation ratio 4 → 8 m1.tiny servers fit (memory and disk are plentiful).
  before(async () => {
    c = await startCompute({}, { hosts: ['small'], drivers: { small: createFakeDriver({ nodeName: 'small', vcpus: 2, memoryMb: 65536, localGb: 1000 }) } });
  });
  after(async () => { await c?.close(); });

  it('never lets concurrent creates past the instances quota', async () => {
    const posted = await Promise.all(Array.from({ length: 12 }, (_, i) => c.call('POST', '/v2.1/servers', {
      token: c.as.alice.token, version: V, body: { server: { name: `quota-${i}`, imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
    })));
    const accepted = posted.filter((r) => r.status === 202);
    // Check, write, re-check: racing creates may both step back, but the limit (10) is never passed.
    assert.ok(accepted.length >= 1 && accepted.length <= 10, `accepted ${accepted.length}`);
    assert.ok(posted.filter((r) => r.status === 403).every((r) => /Quota exceeded for instances/.test(r.body.forbidden.message)));
    const listed = await c.call('GET', '/v2.1/servers', { token: c.as.alice.token, version: V });
    assert.equal(listed.body.servers.length, accepted.length);
    for (const r of accepted) await c.call('DELETE', `/v2.1/servers/${r.body.server.id}`, { token: c.as.alice.token, version: V });
    for (const r of accepted) await c.waitForServer(r.body.server.id, c.as.alice.token, (x) => x === undefined, 30_000);
  });

  it('lets exactly the claims that fit win', async () => {
    await c.call('PUT', `/v2.1/os-quota-sets/${c.as.admin.projectId}`, { token: c.as.admin.token, body: { quota_set: { instances: -1, cores: -1 } } });
    const posted = await Promise.all(Array.from({ length: 12 }, (_, i) => c.call('POST', '/v2.1/servers', {
      token: c.as.admin.token, version: V, body: { server: { name: `race-${i}`, imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
    })));
    assert.ok(posted.every((r) => r.status === 202), JSON.stringify(posted.map((r) => r.body)));
    const final = await Promise.all(posted.map((r) => c.waitForServer(r.body.server.id, c.as.admin.token, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR', 30_000)));
    const active = final.filter((s) => s.status === 'ACTIVE');
    const failed = final.filter((s) => s.status === 'ERROR');
    assert.equal(active.length, 8, `expected 8 ACTIVE, got ${active.length}`);
    assert.equal(failed.length, 4);
    assert.ok(failed.every((s) => /No valid host was found/.test(s.fault.message)));
    const hv = await c.call('GET', '/v2.1/os-hypervisors/detail', { token: c.as.admin.token, version: V });
    assert.equal(hv.body.hypervisors[0].running_vms, 8, 'the servers in ERROR hold no host');
    assert.equal(hv.body.hypervisors[0].vcpus_used, 8);
    for (const s of final) await c.call('DELETE', `/v2.1/servers/${s.id}`, { token: c.as.admin.token, version: V });
    for (const s of final) await c.waitForServer(s.id, c.as.admin.token, (x) => x === undefined, 30_000);
  });
});
