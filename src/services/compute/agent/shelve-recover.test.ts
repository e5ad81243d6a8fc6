// A restarted agent finishes or undoes shelve work its predecessor left: an interrupted offload runs again to
// SHELVED_OFFLOADED, an interrupted unshelve spawn is undone back to SHELVED_OFFLOADED (guest gone, port unbound,
// claim released), an interrupted power-on leaves the server SHELVED with its guest off; other work is not its own.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import type { RpcClient } from '#lib/bus/index.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { NetworkClient } from '#services/network/contract/client.ts';
import type { ConductorMethods } from '../rpc/conductor-rpc.ts';
import type { Instance } from '../domain/instance.ts';
import { createFakeDriver } from './drivers/fake/fake-driver.ts';
import { recoverShelveWork } from './shelve-recover.ts';
import type { AgentDeps } from './agent-deps.ts';

const port = { portId: 'port-1', networkId: 'n', networkName: 'private', macAddress: 'fa:16:3e:00:00:01', createdByCompute: true, ips: [] };

function instance(uuid: string, vmState: string, taskState: string | null): Instance {
  return { uuid, vmState, taskState, powerState: 1, host: 'h1', node: 'h1', networkInfo: [port] } as unknown as Instance;
}

describe('agent recovery of shelve work', () => {
  it('offloads again, undoes a spawn, powers an interrupted unshelve off, and leaves the rest', async () => {
    const servers = new Map([
      ['offloading', instance('offloading', 'shelved', 'shelving_offloading')],
      ['spawning', instance('spawning', 'shelved_offloaded', 'spawning')],
      ['powering-on', instance('powering-on', 'shelved', 'powering-on')],
      ['rebooting', instance('rebooting', 'active', 'rebooting')],
    ]);
    const updates: { uuid: string; patch: Record<string, unknown> }[] = [];
    const conductor = {
      call: async (method: string, args: { uuid: string; patch: Record<string, unknown> }) => {
        if (method === 'instance_get') return servers.get(args.uuid) ?? null;
        if (method === 'instance_update') { updates.push({ uuid: args.uuid, patch: args.patch }); return { ...servers.get(args.uuid), ...args.patch }; }
        if (method === 'volume_attachments' || method === 'block_device_mappings') return [];
        return null;
      },
    } as unknown as RpcClient<ConductorMethods>;
    const released: string[] = [];
    const placement = { deleteAllocations: async (uuid: string) => { released.push(uuid); return true; } } as unknown as PlacementClient;
    const unbound: string[] = [];
    const network = { updatePort: async (id: string, changes: Record<string, unknown>) => { if (changes['binding:host_id'] === '') unbound.push(id); return {}; } } as unknown as NetworkClient;
    const driver = createFakeDriver({ nodeName: 'h1', vcpus: 1, memoryMb: 1, localGb: 1 });
    for (const uuid of servers.keys()) await driver.spawn({ guest: { uuid, image: { id: 'img' } } as never });
    const deps: AgentDeps = {
      host: 'h1', driver, conductor, agents: {} as AgentDeps['agents'], placement, image: async () => undefined, network: async () => network,
      volumes: async () => undefined, configDrive: { force: false, dhcpDomain: '' }, serviceToken: async () => 't', log: silentLogger(),
    };
    const ctx = { requestId: 'r', globalRequestId: 'g' };
    const handled = [];
    for (const i of servers.values()) handled.push(await recoverShelveWork(deps, ctx, i));
    assert.deepEqual(handled, [true, true, true, false]);

    const patchOf = (uuid: string) => updates.filter((u) => u.uuid === uuid).map((u) => u.patch);
    assert.deepEqual(patchOf('offloading'), [{ vmState: 'shelved_offloaded', taskState: null, host: null, node: null, powerState: 4 }]);
    assert.deepEqual(patchOf('spawning'), [{ vmState: 'shelved_offloaded', powerState: 4, taskState: null, host: null, node: null }]);
    assert.deepEqual(patchOf('powering-on'), [{ taskState: null, powerState: 4 }]);
    assert.deepEqual(released.sort(), ['offloading', 'spawning']);
    assert.deepEqual(unbound, ['port-1', 'port-1']);
    assert.equal(await driver.powerState({ uuid: 'offloading' }), undefined, 'the offloaded guest is gone');
    assert.equal(await driver.powerState({ uuid: 'spawning' }), undefined, 'the half-unshelved guest is gone');
    assert.equal(await driver.powerState({ uuid: 'powering-on' }), 'shutdown');
    assert.equal(await driver.powerState({ uuid: 'rebooting' }), 'running');
  });
});
