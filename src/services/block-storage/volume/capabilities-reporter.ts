// Reports this backend's capacity to the scheduler (a fanout, as cinder-volume's publish_service_capabilities) and
// its heartbeat to the conductor: periodically, and soon after any change.
import type { BusContext, RpcClient } from '#lib/bus/index.ts';
import { newRequestId } from '#lib/context.ts';
import type { Logger } from '#lib/log.ts';
import type { VolumeDriver } from './drivers/volume-driver.ts';
import type { SchedulerRpcMethods } from '../rpc/scheduler-rpc.ts';
import type { ConductorRpcMethods } from '../rpc/conductor-rpc.ts';

export interface ReporterDeps {
  driver: VolumeDriver;
  scheduler: RpcClient<SchedulerRpcMethods>;
  conductor: RpcClient<ConductorRpcMethods>;
  /** host@backend */
  host: string;
  backendName: string;
  zone: string;
  intervalMs: number;
  log: Logger;
}

export interface Reporter {
  /** Reports now (coalescing calls that arrive while a report is running). */
  report(ctx?: BusContext): Promise<void>;
  stop(): void;
}

export function startReporter(deps: ReporterDeps): Reporter {
  let running: Promise<void> | undefined;
  let again = false;
  const systemCtx = (): BusContext => { const id = newRequestId(); return { requestId: id, globalRequestId: id }; };

  async function once(ctx: BusContext): Promise<void> {
    const c = await deps.driver.capacity();
    await deps.scheduler.fanout('updateCapabilities', {
      host: deps.host, pool: deps.backendName, backendName: deps.backendName, availabilityZone: deps.zone,
      totalCapacityGb: c.totalGb, freeCapacityGb: c.freeGb, provisionedCapacityGb: c.provisionedGb, thinProvisioning: c.thin,
      maxOverSubscriptionRatio: c.maxOverSubscriptionRatio, timestamp: new Date().toISOString(),
    }, ctx);
    await deps.conductor.cast('reportState', { binary: 'cinder-volume', host: deps.host, zone: deps.zone }, ctx);
  }

  function report(ctx: BusContext = systemCtx()): Promise<void> {
    if (running) { again = true; return running; }
    running = (async () => {
      try {
        do { again = false; await once(ctx); } while (again);
      } catch (err) {
        deps.log.warn({ err: (err as Error).message }, 'cannot report volume service capabilities');
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  const timer = setInterval(() => void report(), deps.intervalMs);
  timer.unref();
  return { report, stop: () => clearInterval(timer) };
}
