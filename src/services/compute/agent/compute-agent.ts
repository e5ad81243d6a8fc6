// The compute agent role of one host: reports its node, serves casts on compute.<host>, heartbeats, and syncs power
// states from its hypervisor. It never touches the database: the conductor reads and writes for it.
import { randomUUID } from 'node:crypto';
import type { Bus, BusContext, Subscription } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import { agentRpc } from '../rpc/agent-rpc.ts';
import type { AgentDeps } from './agent-deps.ts';
import { buildAndRunInstance } from './build.ts';
import { terminateInstance } from './terminate.ts';
import { POWER_ACTIONS, runPowerAction } from './power.ts';
import { reportNode } from './resource-tracker.ts';
import type { AllocationRatios } from './resource-tracker.ts';
import { syncPowerStates } from './power-sync.ts';
import { recoverInterrupted } from './recover.ts';
import { attachVolume, detachVolume } from './volumes.ts';
import { extendVolume } from './volume-extend.ts';
import { attachInterface, detachInterface } from './interfaces.ts';
import { rebuildInstance } from './rebuild.ts';
import { evacuateInstance, recoverEvacuationsTo } from './evacuate.ts';
import { destroyEvacuated } from './evacuate-cleanup.ts';
import { snapshotInstance } from './snapshot.ts';
import { rescueInstance, unrescueInstance } from './rescue.ts';
import { getDiagnostics } from './diagnostics.ts';
import { confirmResize, finishResize, finishRevertResize, resizeInstance, revertResize } from './resize.ts';
import { liveMigration, postLiveMigrationAtDestination, preLiveMigration, rollbackLiveMigrationAtDestination } from './live-migration.ts';
import { shelveInstance } from './shelve.ts';
import { shelveOffloadInstance } from './shelve-offload.ts';
import { unshelveInstance } from './unshelve.ts';
import { shelvedOffloadPoll } from './shelve-periodic.ts';
import type { ShelvedPollOptions } from './shelve-periodic.ts';
import { rescueTimeoutPoll } from './rescue-periodic.ts';
import { createConsoleRelay } from './console-relay.ts';
import { hostUptimeLine } from './host-uptime.ts';

export interface ComputeAgentOptions {
  ratios: AllocationRatios;
  reportIntervalMs: number;
  /** Shelve's offload timing (Nova's shelved_offload_time and shelved_poll_interval); default: offload at once. */
  shelve?: ShelvedPollOptions;
  /** Nova's rescue_timeout: seconds after which a rescued server is unrescued (0 or absent: never). */
  rescueTimeoutS?: number;
}

export interface RunningAgent {
  nodeUuid: string;
  stop(): Promise<void>;
}

const selfContext = (): BusContext => {
  const id = `req-${randomUUID()}`;
  return { requestId: id, globalRequestId: id };
};

export async function startComputeAgent(deps: AgentDeps, bus: Bus, opts: ComputeAgentOptions): Promise<RunningAgent> {
  const { uuid } = await reportNode(deps, selfContext(), opts.ratios);
  // Servers evacuated while this host was down live elsewhere now: their local leftovers go first, as in Nova.
  const { underWay } = await destroyEvacuated(deps, selfContext());
  // Evacuations to this host that its restart cut off: their servers still sit rebuilding on their dead sources.
  await recoverEvacuationsTo(deps, selfContext());
  await recoverInterrupted(deps, selfContext(), underWay);
  await syncPowerStates(deps, selfContext());
  // Work runs after the cast is acknowledged, as in Nova: the sender does not wait for a build.
  const inFlight = new Set<Promise<void>>();
  const background = (work: Promise<void>) => {
    const p = work.catch((err: unknown) => deps.log.error({ err: (err as Error).message }, 'agent task failed')).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  // Consoles are handed out through this host's relay, so a console proxy on any host reaches them (console-relay.ts).
  const relay = createConsoleRelay({ hostIp: async () => (await deps.driver.capacity()).hostIp, log: deps.log });
  const power = (name: keyof typeof POWER_ACTIONS) => (ctx: BusContext, a: { uuid: string }) => background(runPowerAction(deps, ctx, a.uuid, POWER_ACTIONS[name]));
  const sub: Subscription = await agentRpc.serve(bus, deps.host, {
    build_and_run_instance: (ctx, a) => background(buildAndRunInstance(deps, ctx, a.uuid)),
    terminate_instance: (ctx, a) => background(terminateInstance(deps, ctx, a.uuid)),
    stop_instance: power('stop'),
    start_instance: power('start'),
    reboot_instance: (ctx, a) => background(runPowerAction(deps, ctx, a.uuid, POWER_ACTIONS[a.hard ? 'rebootHard' : 'reboot'])),
    pause_instance: power('pause'),
    unpause_instance: power('unpause'),
    suspend_instance: power('suspend'),
    resume_instance: power('resume'),
    rebuild_instance: (ctx, a) => background(a.migrationUuid ? evacuateInstance(deps, ctx, { uuid: a.uuid, migrationUuid: a.migrationUuid }) : rebuildInstance(deps, ctx, a.uuid)),
    resize_instance: (ctx, a) => background(resizeInstance(deps, ctx, a)),
    finish_resize: (ctx, a) => background(finishResize(deps, ctx, a)),
    confirm_resize: (ctx, a) => background(confirmResize(deps, ctx, a)),
    revert_resize: (ctx, a) => background(revertResize(deps, ctx, a)),
    finish_revert_resize: (ctx, a) => background(finishRevertResize(deps, ctx, a)),
    drop_resize_source: (_ctx, a) => background(deps.driver.confirmMigration({ uuid: a.uuid })),
    live_migration: (ctx, a) => background(liveMigration(deps, ctx, a)),
    pre_live_migration: (ctx, a) => preLiveMigration(deps, ctx, a),
    post_live_migration_at_destination: (ctx, a) => postLiveMigrationAtDestination(deps, ctx, a),
    rollback_live_migration_at_destination: (ctx, a) => rollbackLiveMigrationAtDestination(deps, ctx, a),
    attach_volume: (ctx, a) => background(attachVolume(deps, ctx, a)),
    detach_volume: (ctx, a) => background(detachVolume(deps, ctx, a)),
    extend_volume: (ctx, a) => background(extendVolume(deps, ctx, a)),
    attach_interface: (ctx, a) => attachInterface(deps, ctx, a),
    detach_interface: (ctx, a) => background(detachInterface(deps, ctx, a)),
    snapshot_instance: (ctx, a) => background(snapshotInstance(deps, ctx, a)),
    shelve_instance: (ctx, a) => background(shelveInstance(deps, ctx, a, { offloadTimeS: opts.shelve?.offloadTimeS ?? 0 })),
    shelve_offload_instance: (ctx, a) => background(shelveOffloadInstance(deps, ctx, a.uuid)),
    unshelve_instance: (ctx, a) => background(unshelveInstance(deps, ctx, a.uuid)),
    rescue_instance: (ctx, a) => background(rescueInstance(deps, ctx, a)),
    unrescue_instance: (ctx, a) => background(unrescueInstance(deps, ctx, a.uuid)),
    get_diagnostics: (ctx, a) => getDiagnostics(deps, ctx, a.uuid),
    get_host_uptime: async () => hostUptimeLine(),
    get_console_output: async (_ctx, a) => {
      if (!deps.driver.consoleOutput) throw new BadRequest(`The ${deps.driver.type} driver keeps no console log.`);
      return deps.driver.consoleOutput({ uuid: a.uuid });
    },
    get_console_socket: async (_ctx, a) => {
      const path = await deps.driver.consoleSocket?.({ uuid: a.uuid, kind: a.kind });
      if (!path) throw new BadRequest(`The ${deps.driver.type} driver has no ${a.kind} console for instance ${a.uuid}.`);
      return relay.grant(path, a.ttlMs ?? 600_000);
    },
  });
  // A guest that stopped on its own is synced at once, as Nova handles the hypervisor's lifecycle events.
  const unwatch = deps.driver.watchLifecycle?.((uuid) => background(syncPowerStates(deps, selfContext(), uuid).then(() => undefined)));
  let ticks = 0;
  const shelvedPoll = shelvedOffloadPoll(deps, opts.shelve);
  const rescuePoll = rescueTimeoutPoll(deps, opts.rescueTimeoutS);
  const timer = setInterval(() => {
    ticks += 1;
    const ctx = selfContext();
    background(reportNode(deps, ctx, opts.ratios).then(async () => {
      if (ticks % 6 === 0) await syncPowerStates(deps, ctx);
    }));
    background(shelvedPoll(ctx));
    background(rescuePoll(ctx));
  }, opts.reportIntervalMs);
  timer.unref();
  deps.log.info({ node: uuid, driver: deps.driver.type }, 'compute agent started');
  return {
    nodeUuid: uuid,
    async stop() {
      clearInterval(timer);
      unwatch?.();
      await sub.close();
      await Promise.allSettled([...inFlight]);
      await relay.close();
      await deps.driver.close?.();
    },
  };
}
