// The scheduler role: serves compute-scheduler's select_destinations.
import type { Bus, Subscription } from '#lib/bus/index.ts';
import { reportService } from '../db/hosts-repo.ts';
import { schedulerRpc } from '../rpc/scheduler-rpc.ts';
import { selectDestinations } from './select-destinations.ts';
import type { SchedulerDeps } from './select-destinations.ts';

export async function startScheduler(deps: SchedulerDeps, bus: Bus, serverName: string, opts: { heartbeatMs: number }): Promise<{ stop(): Promise<void> }> {
  const sub: Subscription = await schedulerRpc.serve(bus, serverName, {
    select_destinations: (ctx, args) => selectDestinations(deps, args, ctx.globalRequestId),
  });
  await reportService(deps.db, serverName, 'nova-scheduler');
  // A heartbeat, so os-services shows the scheduler up.
  const heartbeat = setInterval(() => {
    reportService(deps.db, serverName, 'nova-scheduler').catch((err: unknown) => deps.log.warn({ err: (err as Error).message }, 'scheduler heartbeat failed'));
  }, opts.heartbeatMs);
  heartbeat.unref();
  return {
    async stop() {
      clearInterval(heartbeat);
      await sub.close();
    },
  };
}
