// A restarted agent never leaves a server stuck: interrupted builds go to ERROR, deletes finish, other tasks clear.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import type { RpcClient } from '#lib/bus/index.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ConductorMethods } from '../rpc/conductor-rpc.ts';
import type { Instance } from '../domain/instance.ts';
import { createFakeDriver } from './drivers/fake/fake-driver.ts';
import { recoverInterrupted } from './recover.ts';
import type { AgentDeps } from './agent-deps.ts';

function instance(uuid: string, vmState: string, taskState: string | null): Instance {
  return { uuid, vmState, taskState, powerState: 1, host: 'h1' } as Instance;
}

describe('agent recovery after a restart', () => {
  it('errors interrupted builds, finishes deletes and clears other task states', async () => {
    const calls: { method: string; args: Record<string, unknown> }[] = [];
    const servers = [instance('building', 'building', 'spawning'), instance('deleting', 'active', 'deleting'),
      instance('rebooting', 'active', 'rebooting'), instance('idle', 'active', null), instance('rebuilding', 'active', 'rebuilding')];
    const conductor = {
      call: async (method: string, args: Record<string, unknown>) => {
        calls.push({ method, args });
        return method === 'host_instances' ? servers : method === 'volume_attachments' ? [] : null;
      },
    } as unknown as RpcClient<ConductorMethods>;
    const released: string[] = [];
    const placement = { deleteAllocations: async (uuid: string) => { released.push(uuid); return true; } } as unknown as PlacementClient;
    const driver = createFakeDriver({ nodeName: 'h1', vcpus: 1, memoryMb: 1, localGb: 1 });
    await driver.spawn({ guest: { uuid: 'rebooting' } as never });
    const deps: AgentDeps = { host: 'h1', driver, conductor, agents: {} as AgentDeps['agents'], placement, image: async () => undefined, network: async () => undefined, volumes: async () => undefined, configDrive: { force: false, dhcpDomain: '' }, serviceToken: async () => 't', log: silentLogger() };
    const n = await recoverInterrupted(deps, { requestId: 'r', globalRequestId: 'g' });
    assert.equal(n, 4);
    const updates = calls.filter((c) => c.method === 'instance_update');
    const built = updates.find((u) => u.args.uuid === 'building')!.args.patch as Record<string, unknown>;
    assert.equal(built.vmState, 'error');
    assert.match(String((built.fault as { message: string }).message), /interrupted by a restart/);
    assert.ok(calls.some((c) => c.method === 'instance_destroy' && c.args.uuid === 'deleting'));
    assert.deepEqual(released, ['building', 'deleting'], 'an interrupted build gives its claim back too');
    const rebooted = updates.find((u) => u.args.uuid === 'rebooting')!.args.patch as Record<string, unknown>;
    assert.deepEqual(rebooted, { taskState: null, powerState: 1 });
    assert.ok(!updates.some((u) => u.args.uuid === 'idle'));
    const rebuilt = updates.find((u) => u.args.uuid === 'rebuilding')!.args.patch as Record<string, unknown>;
    assert.equal(rebuilt.vmState, 'error');
    assert.match(String((rebuilt.fault as { message: string }).message), /rebuild was interrupted/);
  });
});
