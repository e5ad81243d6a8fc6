// Nova's _poll_shelved_instances: with shelved_offload_time N > 0, a server shelved on this host for N seconds or more
// is offloaded (0 offloaded it as it was shelved; -1 keeps shelved servers on their hosts). Checked every
// shelved_poll_interval seconds, on the agent's heartbeat.
import type { BusContext } from '#lib/bus/index.ts';
import { offloadDue, shelveRecordOf } from '../domain/shelve.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import type { AgentDeps } from './agent-deps.ts';
import { offloadOrRevert } from './shelve-offload.ts';

export interface ShelvedPollOptions {
  offloadTimeS: number;
  pollIntervalMs: number;
}

/** Offloads the servers shelved here whose time is up; returns how many it offloaded. */
export async function offloadExpiredShelved(deps: AgentDeps, ctx: BusContext, offloadTimeS: number, now = new Date()): Promise<number> {
  if (offloadTimeS <= 0) return 0;
  let offloaded = 0;
  for (const i of await deps.conductor.call('host_instances', { host: deps.host }, ctx)) {
    if (i.vmState !== VmState.shelved || i.taskState !== null) continue;
    const shelve = shelveRecordOf(await deps.conductor.call('system_metadata_get', { uuid: i.uuid }, ctx));
    if (!offloadDue(shelve.shelvedAt, offloadTimeS, now)) continue;
    const claimed = await deps.conductor.call('instance_update', {
      uuid: i.uuid, patch: { taskState: TaskState.shelvingOffloading }, expectedTaskState: [null],
    }, ctx);
    if (!claimed) continue; // an action took it meanwhile
    await offloadOrRevert(deps, ctx, claimed).then(() => { offloaded += 1; }, () => undefined);
  }
  return offloaded;
}

/** A check to call on every heartbeat: it runs the poll when shelved_poll_interval has passed since the last one. */
export function shelvedOffloadPoll(deps: AgentDeps, opts: ShelvedPollOptions | undefined): (ctx: BusContext) => Promise<void> {
  let last = Date.now();
  return async (ctx) => {
    if (!opts || opts.offloadTimeS <= 0 || Date.now() - last < opts.pollIntervalMs) return;
    last = Date.now();
    const n = await offloadExpiredShelved(deps, ctx, opts.offloadTimeS);
    if (n) deps.log.info({ servers: n }, 'offloaded servers shelved longer than shelved_offload_time');
  };
}
