// Nova's power-state sync: what the hypervisor says wins. A server the database thinks is running but whose guest is
// gone or shut down (killed from outside, or lost with a fake hypervisor's memory) becomes SHUTOFF.
import type { BusContext } from '#lib/bus/index.ts';
import { PowerState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { powerNumber } from './power.ts';

/** Syncs every server of this host, or only `onlyUuid` (a lifecycle event from the driver); returns how many changed. */
export async function syncPowerStates(deps: AgentDeps, ctx: BusContext, onlyUuid?: string): Promise<number> {
  const instances = await deps.conductor.call('host_instances', { host: deps.host }, ctx);
  let changed = 0;
  for (const i of instances) {
    if (onlyUuid && i.uuid !== onlyUuid) continue;
    if (i.taskState !== null) continue; // something is in progress; the next sync looks again
    const power = await deps.driver.powerState({ uuid: i.uuid });
    const actual = power ? powerNumber(power) : PowerState.shutdown;
    if (actual === i.powerState) continue;
    const stop = i.vmState === VmState.active && actual === PowerState.shutdown;
    await deps.conductor.call('instance_update', {
      uuid: i.uuid, expectedTaskState: [null], patch: { powerState: actual, ...(stop ? { vmState: VmState.stopped } : {}) },
    }, ctx);
    deps.log.warn({ instance: i.uuid, was: i.powerState, now: actual }, 'power state synced from the hypervisor');
    changed += 1;
  }
  return changed;
}
