// The scheduler role: serves compute-scheduler's select_destinations.
import type { Bus, Subscription } from '#lib/bus/index.ts';
import { reportService } from '../db/hosts-repo.ts';
import { schedulerRpc } from '../rpc/scheduler-rpc.ts';
import { selectDestinations } from './select-destinations.ts';
import type { SchedulerDeps } from './select-destinations.ts';

export async function startScheduler(deps: SchedulerDeps, bus: Bus, serverName: string): Promise<{ stop(): Promise<void> }> {
  const sub: Subscription = await schedulerRpc.serve(bus, serverName, {
    select_destinations: (ctx, args) => selectDestinations(deps, args, ctx.globalRequestId),
  });
  await reportService(deps.db, serverName, 'nova-scheduler');
  return { stop: () => sub.close() };
}
