// An agent coming back after its servers were evacuated (Nova's _destroy_evacuated_instances at init_host): for each
// evacuation away from this host whose server now lives elsewhere (or was deleted since), the guest and disks left
// here are destroyed — without touching the server's record, ports or volumes, which belong to its new host — the
// source's allocation the migration still holds is dropped from Placement, and the migration goes done → completed.
// An evacuation still under way (the server still recorded here) is left for the next start, as in Nova, and its
// server is reported so the restart recovery does not error it out from under the destination.
import type { BusContext } from '#lib/bus/index.ts';
import type { AgentDeps } from './agent-deps.ts';

export async function destroyEvacuated(deps: AgentDeps, ctx: BusContext): Promise<{ destroyed: number; underWay: Set<string> }> {
  const evacuations = await deps.conductor.call('evacuations_from', { host: deps.host }, ctx);
  let destroyed = 0;
  const underWay = new Set<string>();
  for (const m of evacuations) {
    try {
      const instance = await deps.conductor.call('instance_get', { uuid: m.instanceUuid, includeDeleted: true }, ctx);
      if (instance && !instance.deleted && instance.host === deps.host) {
        if (m.status !== 'done') underWay.add(m.instanceUuid);
        continue;
      }
      await deps.driver.destroy({ uuid: m.instanceUuid });
      await deps.placement.deleteAllocations(m.uuid, { globalRequestId: ctx.globalRequestId });
      await deps.conductor.call('migration_update', { uuid: m.uuid, patch: { status: 'completed' }, expectedStatus: [m.status] }, ctx);
      deps.log.warn({ instance: m.instanceUuid, migration: m.uuid }, 'destroyed the local leftovers of an evacuated server');
      destroyed += 1;
    } catch (err) {
      // One server's cleanup failing must not keep the agent from starting; the next start tries again.
      deps.log.error({ instance: m.instanceUuid, migration: m.uuid, err: (err as Error).message }, 'cannot clean up an evacuated server');
    }
  }
  return { destroyed, underWay };
}
