// Faults in the boot flow with everything real in process (Identity, Placement, conductor, scheduler, agents on one
// bus): a compute agent that dies mid-build leaves a server that its restarted agent puts in ERROR with the Placement
// claim released; a claim that outlived its scheduling (a scheduler answering after the call timed out) is released
// when the host-less server is deleted. Quota usage follows the servers throughout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '#lib/config/options.ts';
import { sharedMemoryBus } from '#lib/bus/index.ts';
import { silentLogger } from '#lib/log.ts';
import { computeOptions, createComputeAgent, createFakeDriver } from '../roles.ts';
import type { HypervisorDriver } from '../roles.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

const V = '2.60';
const HOST = 'faults-host';

describe('boot flow faults', () => {
  let c: TestCompute;
  let nodeUuid: string;
  const running: { close(): Promise<void> }[] = [];
  before(async () => { c = await startCompute({}, { hosts: [] }); });
  after(async () => {
    for (const agent of running) await agent.close();
    await c?.close();
  });

  const startAgent = async (driver: HypervisorDriver) => {
    const agent = await createComputeAgent({
      options: resolveOptions('compute', computeOptions, { report_interval: 1 }, {}), authUrl: c.authUrl, servicePassword: c.novaPassword,
      bus: sharedMemoryBus(c.busName), log: silentLogger(), host: HOST, driver,
    });
    nodeUuid = agent.nodeUuid;
    return agent;
  };
  const placement = (method: string, path: string, body?: unknown) => fetch(`${c.placementUrl}${path}`, {
    method, body: body ? JSON.stringify(body) : undefined,
    headers: { 'x-auth-token': c.as.admin.token, 'openstack-api-version': 'placement 1.28', ...(body ? { 'content-type': 'application/json' } : {}) },
  });
  const allocations = async (uuid: string) => ((await (await placement('GET', `/allocations/${uuid}`)).json()) as { allocations: Record<string, unknown> }).allocations;
  const used = async () => {
    const a = (await c.call('GET', '/v2.1/limits', { token: c.as.alice.token, version: V })).body.limits.absolute;
    return [a.totalInstancesUsed, a.totalCoresUsed, a.totalRAMUsed];
  };
  const boot = async (name: string, flavorRef = '1') => {
    const res = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: V, body: { server: { name, imageRef: c.imageId, flavorRef, networks: 'none' } } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.server.id as string;
  };
  const deleted = async (id: string) => {
    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
  };

  it('puts a build whose agent died mid-spawn in ERROR when the agent restarts, releasing its claim', async () => {
    let spawning!: () => void;
    const spawnStarted = new Promise<void>((resolve) => { spawning = resolve; });
    const doomed = createFakeDriver({ nodeName: HOST, vcpus: 8, memoryMb: 16384, localGb: 100 });
    // The process dies inside the hypervisor's spawn: it never returns.
    doomed.spawn = async () => { spawning(); await new Promise(() => {}); };
    const first = await startAgent(doomed);
    const id = await boot('doomed');
    await spawnStarted;
    assert.deepEqual(Object.keys(await allocations(id)), [nodeUuid], 'the scheduler claimed on the host');
    assert.deepEqual(await used(), [1, 1, 512]);
    // The agent stops listening and heartbeating at once; its build never finishes (close waits for it forever).
    await Promise.race([first.close(), new Promise((r) => setTimeout(r, 200))]);
    assert.equal((await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.alice.token, version: V })).body.server.status, 'BUILD');

    running.push(await startAgent(createFakeDriver({ nodeName: HOST, vcpus: 8, memoryMb: 16384, localGb: 100 })));
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ERROR');
    assert.match(server.fault.message, /The build was interrupted by a restart of its compute agent/);
    assert.equal(server['OS-EXT-STS:task_state'], null);
    assert.deepEqual(await allocations(id), {}, 'the claim is released');
    assert.deepEqual(await used(), [1, 1, 512], 'an ERROR server still counts against quota until deleted, as in Nova');
    await deleted(id);
    assert.deepEqual(await used(), [0, 0, 0]);
  });

  it('releases a claim that landed after scheduling gave up when the host-less server is deleted', async () => {
    // A flavor no host can take (a trait none has), so scheduling fails and the server has no host.
    const flavor = await c.call('POST', '/v2.1/flavors', { token: c.as.admin.token, version: V, body: { flavor: { name: 'faults.nowhere', ram: 512, vcpus: 1, disk: 1 } } });
    assert.equal(flavor.status, 200, JSON.stringify(flavor.body));
    const spec = await c.call('POST', `/v2.1/flavors/${flavor.body.flavor.id}/os-extra_specs`, { token: c.as.admin.token, version: V,
      body: { extra_specs: { 'trait:CUSTOM_FAULTS_NOWHERE': 'required' } } });
    assert.equal(spec.status, 200, JSON.stringify(spec.body));
    const id = await boot('unplaced', flavor.body.flavor.id);
    const server = await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ERROR');
    assert.match(server.fault.message, /^Scheduling failed: No such trait/);
    const asAdmin = await c.call('GET', `/v2.1/servers/${id}`, { token: c.as.admin.token, version: V });
    assert.equal(asAdmin.body.server['OS-EXT-SRV-ATTR:host'], null);
    // What a scheduler whose answer came after the conductor's call timed out leaves behind: a claim, and no host.
    const late = await placement('PUT', `/allocations/${id}`, {
      allocations: { [nodeUuid]: { resources: { VCPU: 1, MEMORY_MB: 512 } } }, project_id: c.as.alice.projectId, user_id: c.as.alice.userId, consumer_generation: null,
    });
    assert.equal(late.status, 204, await late.text());
    assert.equal(Object.keys(await allocations(id)).length, 1);
    await deleted(id);
    assert.deepEqual(await allocations(id), {}, 'deleting the server released the stray claim');
    assert.deepEqual(await used(), [0, 0, 0]);
  });
});
