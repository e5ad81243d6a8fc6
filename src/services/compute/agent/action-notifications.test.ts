// The action notifications announce the instance a flow holds instead of reading it again, and read it when the flow
// holds none (or for an error, which can come from anywhere in the flow); a power action holds what its update returned.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BusContext } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import type { AgentDeps } from './agent-deps.ts';
import { withActionNotifications } from './action-notifications.ts';
import type { HeldInstance } from './action-notifications.ts';
import { POWER_ACTIONS, runPowerAction } from './power.ts';

const ctx = { requestId: 'req-1', globalRequestId: 'req-1' } as BusContext;

function fakeDeps(stored: Partial<Instance>) {
  const reads: string[] = [];
  const announced: { phase: string; vmState: string }[] = [];
  const deps = {
    conductor: {
      call: async (method: string) => {
        reads.push(method);
        return { ...stored } as Instance;
      },
    },
    notifier: {
      enabled: true,
      instanceAction: (_ctx: BusContext, i: Instance, e: { phase: string }) => { announced.push({ phase: e.phase, vmState: i.vmState }); },
    },
  } as unknown as AgentDeps;
  return { deps, reads, announced };
}

describe('action notifications', () => {
  it('announce the instance the flow holds at start and end without asking the conductor', async () => {
    const { deps, reads, announced } = fakeDeps({ uuid: 'u1', vmState: 'stored' });
    const held: HeldInstance = { instance: { uuid: 'u1', vmState: 'building' } as Instance };
    await withActionNotifications(deps, ctx, { uuid: 'u1', event: 'compute_build_and_run_instance', held }, async () => {
      held.instance = { uuid: 'u1', vmState: 'active' } as Instance;
    });
    assert.deepEqual(announced, [{ phase: 'start', vmState: 'building' }, { phase: 'end', vmState: 'active' }]);
    assert.deepEqual(reads, []);
  });

  it('read the instance when the flow did not hold it again since the last notification, and for an error', async () => {
    const { deps, reads, announced } = fakeDeps({ uuid: 'u1', vmState: 'stored' });
    const held: HeldInstance = { instance: { uuid: 'u1', vmState: 'building' } as Instance };
    await withActionNotifications(deps, ctx, { uuid: 'u1', event: 'compute_build_and_run_instance', held }, async () => undefined);
    assert.deepEqual(announced.map((a) => a.vmState), ['building', 'stored']);
    assert.deepEqual(reads, ['instance_get']);

    const failing: HeldInstance = { instance: { uuid: 'u1', vmState: 'building' } as Instance };
    await assert.rejects(withActionNotifications(deps, ctx, { uuid: 'u1', event: 'compute_build_and_run_instance', held: failing }, async () => {
      failing.instance = { uuid: 'u1', vmState: 'stale' } as Instance;
      throw new Error('boom');
    }), /boom/);
    assert.deepEqual(announced.slice(2), [{ phase: 'start', vmState: 'building' }, { phase: 'error', vmState: 'stored' }]);
    assert.deepEqual(reads, ['instance_get', 'instance_get']);
  });

  it('a power action announces its end with the server its update returned, reading it only for the start', async () => {
    const calls: string[] = [];
    const announced: { phase: string; vmState: string; taskState: string | null }[] = [];
    const deps = {
      host: 'host-a',
      log: { warn: () => undefined },
      driver: { powerOff: async () => undefined },
      conductor: {
        call: async (method: string, a: { patch?: Partial<Instance> }) => {
          calls.push(method);
          if (method === 'instance_get') return { uuid: 'u1', vmState: 'active', taskState: 'powering-off' } as Instance;
          if (method === 'instance_update') return { uuid: 'u1', taskState: null, ...a.patch } as Instance;
          return undefined;
        },
      },
      notifier: {
        enabled: true,
        instanceAction: (_ctx: BusContext, i: Instance, e: { phase: string }) => { announced.push({ phase: e.phase, vmState: i.vmState, taskState: i.taskState }); },
      },
    } as unknown as AgentDeps;
    await runPowerAction(deps, ctx, 'u1', POWER_ACTIONS.stop);
    assert.deepEqual(announced, [{ phase: 'start', vmState: 'active', taskState: 'powering-off' }, { phase: 'end', vmState: 'stopped', taskState: null }]);
    assert.deepEqual(calls.filter((m) => m === 'instance_get'), ['instance_get']);
  });
});
