// Nova's extend_volume on the agent: Block Storage grew an attached volume (its volume-extended event), so the
// guest is made to see the new size, read from Block Storage with the event sender's token. Best effort, as in Nova:
// a volume not plugged here, or a driver that cannot, is logged; the volume keeps its new size either way.
import type { BusContext } from '#lib/bus/index.ts';
import type { AgentDeps } from './agent-deps.ts';
import { auth, client } from './volumes.ts';

const GiB = 1024 ** 3;

export async function extendVolume(deps: AgentDeps, ctx: BusContext, a: { uuid: string; volumeId: string }): Promise<void> {
  try {
    if (!deps.driver.extendVolume) throw new Error(`the ${deps.driver.type} driver cannot resize attached volumes`);
    const volume = await (await client(deps)).getVolume(a.volumeId, await auth(deps, ctx));
    if (!volume) throw new Error(`volume ${a.volumeId} is gone`);
    await deps.driver.extendVolume({ uuid: a.uuid, volumeId: a.volumeId, sizeBytes: volume.size * GiB });
    deps.log.info({ instance: a.uuid, volume: a.volumeId, sizeGb: volume.size }, 'attached volume extended');
  } catch (err) {
    deps.log.warn({ instance: a.uuid, volume: a.volumeId, err: (err as Error).message }, 'cannot extend the attached volume in the guest');
  }
}
