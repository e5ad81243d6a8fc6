// POST /servers/{id}/action: the power actions (os-start, os-stop, reboot, pause, unpause, suspend, resume), each a
// compare-and-swap of task_state from an allowed vm_state then a cast to the server's agent; lock and unlock; the
// rebuild and resize actions (server-move-actions.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import type { Instance } from '../domain/instance.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import { assertUnlocked, loadServer } from './servers.ts';
import type { ComputeApiDeps } from './deps.ts';
import { confirmResize, migrate, rebuild, resize, revertResize } from './server-move-actions.ts';
import { liveMigrate, migrateLiveAction } from './server-live-migrate.ts';
import { evacuate, evacuateAction } from './server-evacuate.ts';
import { isLegacyConsoleAction, legacyConsoleAction, legacyConsoleActionSchemas } from './remote-consoles.ts';
import { createImageAction, migrateAction, nullAction, rebuildAction, resizeAction } from './schemas/servers.ts';
import { createImage } from './server-snapshot.ts';
import { rescue, unrescue } from './server-rescue.ts';
import type { RescueArgs } from './server-rescue.ts';
import { rescueAction } from './schemas/servers.ts';
import { shelveAction, unshelveAction } from './schemas/servers.ts';
import { shelve, shelveOffload, unshelve } from './server-shelve.ts';
import type { UnshelveArgs } from './server-shelve.ts';
import { lock } from './server-lock.ts';
import { securityGroupActions } from './server-security-groups.ts';

interface PowerRoute {
  rule: string;
  /** Nova's instance action name (server event list). */
  action: string;
  allowedVmStates: string[];
  taskState: string;
  cast: Exclude<keyof AgentMethods, 'get_console_output' | 'get_console_socket' | 'reboot_instance'>;
}

const POWER: Record<string, PowerRoute> = {
  'os-start': { rule: 'os_compute_api:servers:start', action: 'start', allowedVmStates: [VmState.stopped], taskState: TaskState.poweringOn, cast: 'start_instance' },
  'os-stop': { rule: 'os_compute_api:servers:stop', action: 'stop', allowedVmStates: [VmState.active, VmState.error], taskState: TaskState.poweringOff, cast: 'stop_instance' },
  pause: { rule: 'os_compute_api:os-pause-server:pause', action: 'pause', allowedVmStates: [VmState.active], taskState: TaskState.pausing, cast: 'pause_instance' },
  unpause: { rule: 'os_compute_api:os-pause-server:unpause', action: 'unpause', allowedVmStates: [VmState.paused], taskState: TaskState.unpausing, cast: 'unpause_instance' },
  suspend: { rule: 'os_compute_api:os-suspend-server:suspend', action: 'suspend', allowedVmStates: [VmState.active], taskState: TaskState.suspending, cast: 'suspend_instance' },
  resume: { rule: 'os_compute_api:os-suspend-server:resume', action: 'resume', allowedVmStates: [VmState.suspended], taskState: TaskState.resuming, cast: 'resume_instance' },
};

async function powerAction(deps: ComputeApiDeps, req: FastifyRequest, name: string, route: PowerRoute, args: { hard?: boolean } = {}) {
  const { caller, server } = await loadServer(deps, req, route.rule);
  assertUnlocked(caller, server);
  if (!route.allowedVmStates.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, name);
  const moved = await updateInstance(deps.db, server.uuid, { taskState: route.taskState }, { taskState: [null] });
  if (!moved) throw instanceInvalidState('task_state', String(server.taskState), server.uuid, name);
  await cast(deps, req, server, route.action, route.cast, args);
}

async function cast(deps: ComputeApiDeps, req: FastifyRequest, server: Instance, action: string, method: Exclude<keyof AgentMethods, 'get_console_output' | 'get_console_socket'>, args: { hard?: boolean }) {
  await startAction(deps.db, {
    instanceUuid: server.uuid, action, requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: req.ctx.credentials!.userId, projectId: server.projectId,
  });
  const ctx = toBusContext(req.ctx, { forwardToken: true });
  if (method === 'reboot_instance') await deps.agents.cast(method, { uuid: server.uuid, hard: Boolean(args.hard) }, ctx, { server: server.host! });
  else await deps.agents.cast(method as Exclude<keyof AgentMethods, 'reboot_instance' | 'get_console_output' | 'get_console_socket' | 'get_diagnostics' | 'attach_interface' | 'get_host_uptime'
    | 'pre_live_migration' | 'post_live_migration_at_destination' | 'rollback_live_migration_at_destination'>, { uuid: server.uuid }, ctx, { server: server.host! });
}

async function reboot(deps: ComputeApiDeps, req: FastifyRequest, type: unknown) {
  if (type !== 'HARD' && type !== 'SOFT' && type !== 'hard' && type !== 'soft') {
    throw new BadRequest("Invalid input for field/attribute type. Value must be one of 'HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'.");
  }
  const hard = String(type).toUpperCase() === 'HARD';
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:reboot');
  assertUnlocked(caller, server);
  const allowed: string[] = hard ? [VmState.active, VmState.stopped, VmState.paused, VmState.suspended, VmState.error] : [VmState.active];
  if (!allowed.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'reboot');
  const moved = await updateInstance(deps.db, server.uuid, { taskState: hard ? TaskState.rebootingHard : TaskState.rebooting },
    { taskState: hard ? [null, TaskState.rebooting] : [null] });
  if (!moved) throw instanceInvalidState('task_state', String(server.taskState), server.uuid, 'reboot');
  await cast(deps, req, server, 'reboot', 'reboot_instance', { hard });
}

/** os-resetState (admins): force vm_state active or error and clear the task state, for a server stuck by a fault. */
async function resetState(deps: ComputeApiDeps, req: FastifyRequest, state: unknown) {
  if (state !== 'active' && state !== 'error') throw new BadRequest("Invalid input for field/attribute state. Value: must be one of 'active', 'error'.");
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-admin-actions:reset_state');
  await updateInstance(deps.db, server.uuid, { vmState: state === 'active' ? VmState.active : VmState.error, taskState: null });
  await startAction(deps.db, {
    instanceUuid: server.uuid, action: 'resetState', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: caller.credentials.userId, projectId: server.projectId,
  });
}

async function consoleOutput(deps: ComputeApiDeps, req: FastifyRequest, length: unknown) {
  if (length !== undefined && length !== null && !(typeof length === 'number' && Number.isInteger(length) && length >= -1)
    && !(typeof length === 'string' && /^-?[0-9]+$/.test(length) && Number(length) >= -1)) {
    throw new BadRequest('Invalid input for field/attribute length.');
  }
  const { server } = await loadServer(deps, req, 'os_compute_api:os-console-output');
  if (!server.host || server.vmState === VmState.building) throw instanceInvalidState('vm_state', server.vmState, server.uuid, 'os-getConsoleOutput');
  const output = await deps.agents.call('get_console_output', { uuid: server.uuid }, toBusContext(req.ctx), { server: server.host, timeoutMs: 30_000 });
  const n = length === undefined || length === null ? -1 : Number(length);
  const lines = output.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { output: n < 0 ? output : `${lines.slice(Math.max(0, lines.length - n)).join('\n')}${n > 0 ? '\n' : ''}` };
}

export function registerServerActions(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/v2.1/servers/:server_id/action', { schema: { body: {
    type: 'object', minProperties: 1, maxProperties: 1,
    properties: { rebuild: rebuildAction, resize: resizeAction, createImage: createImageAction, confirmResize: nullAction, revertResize: nullAction, ...legacyConsoleActionSchemas, rescue: rescueAction,
      shelve: shelveAction, shelveOffload: shelveAction, unshelve: unshelveAction, migrate: migrateAction,
      'os-migrateLive': migrateLiveAction, evacuate: evacuateAction },
  } } },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const [name, args] = Object.entries(req.body as Record<string, unknown>)[0];
      if (POWER[name]) {
        if (args !== null && typeof args !== 'object') throw new BadRequest(`Invalid input for field/attribute ${name}.`);
        await powerAction(deps, req, name, POWER[name]);
      } else if (name === 'reboot') {
        await reboot(deps, req, (args as { type?: unknown } | null)?.type);
      } else if (name === 'os-getConsoleOutput') {
        return reply.code(200).send(await consoleOutput(deps, req, (args as { length?: unknown } | null)?.length));
      } else if (isLegacyConsoleAction(name)) {
        return reply.code(200).send(await legacyConsoleAction(deps, req, name, args));
      } else if (name === 'os-resetState') {
        await resetState(deps, req, (args as { state?: unknown } | null)?.state);
      } else if (name === 'rebuild') {
        return reply.code(202).send(await rebuild(deps, req, args as Parameters<typeof rebuild>[2]));
      } else if (name === 'resize') {
        await resize(deps, req, args as { flavorRef: string | number });
      } else if (name === 'migrate') {
        await migrate(deps, req, args as { host?: string | null } | null);
      } else if (name === 'os-migrateLive') {
        await liveMigrate(deps, req, args as Parameters<typeof liveMigrate>[2]);
      } else if (name === 'evacuate') {
        // Nova answers 200 at every microversion; the body (the admin password) only before 2.14.
        const answer = await evacuate(deps, req, args as Parameters<typeof evacuate>[2]);
        return answer ? reply.code(200).send(answer) : reply.code(200).send();
      } else if (name === 'confirmResize') {
        await confirmResize(deps, req);
        return reply.code(204).send();
      } else if (name === 'revertResize') {
        await revertResize(deps, req);
      } else if (name === 'createImage') {
        return createImage(deps, req, reply, args as { name: string; metadata?: Record<string, string> });
      } else if (name === 'lock' || name === 'unlock') {
        await lock(deps, req, name === 'lock', args);
      } else if (name === 'rescue') {
        return reply.code(200).send(await rescue(deps, req, args as RescueArgs | null));
      } else if (name === 'unrescue') {
        await unrescue(deps, req);
      } else if (name === 'shelve') {
        await shelve(deps, req);
      } else if (name === 'shelveOffload') {
        await shelveOffload(deps, req);
      } else if (name === 'unshelve') {
        await unshelve(deps, req, args as UnshelveArgs | null);
      } else if (Object.hasOwn(securityGroupActions, name)) {
        await securityGroupActions[name](deps, req, args);
      } else {
        throw new BadRequest(`There is no such action: ${name}`);
      }
      return reply.code(202).send();
    });
}
