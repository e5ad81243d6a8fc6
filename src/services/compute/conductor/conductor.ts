// The conductor role: serves compute-conductor, the database's only door for agents, and runs the build workflow.
import type { Bus, BusContext, Subscription } from '#lib/bus/index.ts';
import { finishAction, finishEvent, startAction, startEvent } from '../db/actions-repo.ts';
import { getInstance, listInstances, markDeleted } from '../db/instances-repo.ts';
import { listServices, reportNode, reportService } from '../db/hosts-repo.ts';
import { deleteBdm, listBdms } from '../db/bdm-repo.ts';
import { conductorRpc } from '../rpc/conductor-rpc.ts';
import type { ConductorDeps } from './conductor-deps.ts';
import { buildFailed, scheduleAndBuild } from './build-instances.ts';
import { recoverLostWork } from './recover.ts';
import { AGENT_BINARY } from '../domain/zones.ts';
import { getMigration, listMigrations, updateMigration } from '../db/migrations-repo.ts';
import { migrateServer } from './migrate-server.ts';
import { liveMigrateInstance } from './live-migrate.ts';
import { evacuateInstance } from './evacuate.ts';
import { shelveHandlers } from './shelve-handlers.ts';
import { blockDeviceHandlers } from './block-device-handlers.ts';
import { instancePatch, instanceUpdate } from './instance-update.ts';


export async function startConductor(deps: ConductorDeps, bus: Bus, serverName: string, opts: { staleMs: number; heartbeatMs: number }): Promise<{ stop(): Promise<void> }> {
  const inFlight = new Set<Promise<void>>();
  const background = (work: Promise<void>) => {
    const p = work.catch((err: unknown) => deps.log.error({ err: (err as Error).message }, 'conductor task failed')).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const sub: Subscription = await conductorRpc.serve(bus, serverName, {
    build_instances: (ctx: BusContext, a) => { for (const uuid of a.uuids) background(scheduleAndBuild(deps, ctx, uuid)); },
    migrate_server: (ctx: BusContext, a) => { background(migrateServer(deps, ctx, a)); },
    live_migrate_instance: (ctx: BusContext, a) => { background(liveMigrateInstance(deps, ctx, a)); },
    evacuate_instance: (ctx: BusContext, a) => { background(evacuateInstance(deps, ctx, a)); },
    // Nova's _destroy_evacuated_instances looks at these: accepted and pre-migrating ones may still be under way.
    evacuations_from: async (_ctx, a) => (await listMigrations(deps.db, { host: a.host, type: 'evacuation', limit: 10_000 }))
      .filter((m) => m.sourceCompute === a.host && ['accepted', 'pre-migrating', 'done'].includes(m.status)),
    evacuations_to: async (_ctx, a) => (await listMigrations(deps.db, { host: a.host, type: 'evacuation', limit: 10_000 }))
      .filter((m) => m.destCompute === a.host && m.destNode && ['accepted', 'pre-migrating'].includes(m.status)),
    migration_get: async (_ctx, a) => (await getMigration(deps.db, a.uuid)) ?? null,
    migration_update: async (_ctx, a) => (await updateMigration(deps.db, a.uuid, a.patch, a.expectedStatus)) ?? null,
    instance_get: async (_ctx, a) => (await getInstance(deps.db, a.uuid, { includeDeleted: a.includeDeleted })) ?? null,
    instance_update: (ctx, a) => instanceUpdate(deps, ctx, a),
    instance_patch: (ctx, a) => instancePatch(deps, ctx, a),
    instance_destroy: async (_ctx, a) => { await markDeleted(deps.db, a.uuid); },
    event_start: async (_ctx, a) => { await startEvent(deps.db, a.uuid, a.requestId, a.event, a.host); },
    event_finish: async (_ctx, a) => {
      await finishEvent(deps.db, a.uuid, a.requestId, a.event, a.error === undefined ? { ok: true } : { ok: false, error: a.error }, { finishAction: a.finishAction });
    },
    action_finish: async (_ctx, a) => { await finishAction(deps.db, a.uuid, a.requestId); },
    action_start: async (_ctx, a) => {
      const i = await getInstance(deps.db, a.uuid);
      if (i) await startAction(deps.db, { instanceUuid: a.uuid, action: a.action, requestId: a.requestId, globalRequestId: a.globalRequestId, userId: i.userId, projectId: i.projectId });
    },
    build_failed: async (ctx, a) => { await buildFailed(deps, ctx, a); },
    service_report: async (_ctx, a) => {
      await reportService(deps.db, a.host, AGENT_BINARY);
      await reportNode(deps.db, {
        uuid: a.nodeUuid, host: a.host, hypervisor_hostname: a.hypervisorHostname, hypervisor_type: a.hypervisorType,
        hypervisor_version: a.hypervisorVersion, vcpus: a.vcpus, memory_mb: a.memoryMb, local_gb: a.localGb, host_ip: a.hostIp,
      });
      const [service] = await listServices(deps.db, { host: a.host, binary: AGENT_BINARY });
      return { disabled: Boolean(service?.disabled) };
    },
    host_instances: async (_ctx, a) => listInstances(deps.db, { host: a.host, limit: 100_000 }),
    volume_attachments: async (_ctx, a) => (await listBdms(deps.db, [a.uuid])).map((b) => ({ volumeId: b.volume_id, attachmentId: b.attachment_id, device: b.device_name, deleteOnTermination: Boolean(b.delete_on_termination) })),
    volume_detached: async (_ctx, a) => { await deleteBdm(deps.db, a.uuid, a.volumeId); },
    ...shelveHandlers(deps, background),
    ...blockDeviceHandlers(deps),
  });
  await reportService(deps.db, serverName, 'nova-conductor');
  const recover = () => background(recoverLostWork(deps, opts.staleMs).then((picked) => {
    if (picked.length) deps.log.warn({ servers: picked.length }, 'resumed work lost with a stopped process');
  }));
  recover();
  const timer = setInterval(recover, opts.staleMs);
  timer.unref();
  // A heartbeat, so os-services and the availability zones show the conductor up.
  const heartbeat = setInterval(() => background(reportService(deps.db, serverName, 'nova-conductor')), opts.heartbeatMs);
  heartbeat.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearInterval(heartbeat);
      await sub.close();
      await Promise.allSettled([...inFlight]);
    },
  };
}
