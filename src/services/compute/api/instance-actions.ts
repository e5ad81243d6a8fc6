// os-instance-actions: what was done to a server and, per action, its events with timings (server event list/show).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actionNotFound } from '../domain/errors.ts';
import { findAction, listActions, listEvents } from '../db/actions-repo.ts';
import type { InstanceActionEventRow, InstanceActionRow } from '../db/tables.ts';
import { getInstance } from '../db/instances-repo.ts';
import { instanceNotFound } from '../domain/errors.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';

const time = (t: string | null): string | null => (t ? t.replace(/Z$/, '') : null);

function actionView(a: InstanceActionRow, withUpdated: boolean): Record<string, unknown> {
  return {
    action: a.action, instance_uuid: a.instance_uuid, request_id: a.request_id, user_id: a.user_id, project_id: a.project_id,
    start_time: time(a.start_time), message: a.message, ...(withUpdated ? { updated_at: time(a.updated_at) } : {}),
  };
}

function eventView(e: InstanceActionEventRow, opts: { traceback: boolean; hostId?: string; host: boolean; details: boolean }): Record<string, unknown> {
  return {
    event: e.event, start_time: time(e.start_time), finish_time: time(e.finish_time), result: e.result,
    ...(opts.traceback ? { traceback: e.traceback } : {}), ...(opts.host ? { host: e.host } : {}),
    ...(opts.hostId !== undefined ? { hostId: opts.hostId } : {}), ...(opts.details ? { details: e.details } : {}),
  };
}

export function registerInstanceActions(app: FastifyInstance, deps: ComputeApiDeps): void {
  // Deleted servers keep their history (2.21+), as in Nova.
  async function server(req: FastifyRequest, rule: string) {
    const caller = callerOf(deps, req);
    const id = (req.params as { server_id: string }).server_id;
    const s = await getInstance(deps.db, id, { includeDeleted: atLeast(req, 21) });
    if (!s || (!caller.isAdmin && s.projectId !== caller.projectId)) throw instanceNotFound(id);
    deps.policy.enforce(rule, caller.credentials, { project_id: s.projectId });
    return { caller, s };
  }

  app.get('/v2.1/servers/:server_id/os-instance-actions', async (req) => {
    const { s } = await server(req, 'os_compute_api:os-instance-actions:list');
    return { instanceActions: (await listActions(deps.db, s.uuid)).map((a) => actionView(a, atLeast(req, 58))) };
  });

  app.get('/v2.1/servers/:server_id/os-instance-actions/:request_id', async (req) => {
    const { caller, s } = await server(req, 'os_compute_api:os-instance-actions:show');
    const requestId = (req.params as { request_id: string }).request_id;
    const action = await findAction(deps.db, s.uuid, requestId);
    if (!action) throw actionNotFound(requestId, s.uuid);
    const body = actionView(action, atLeast(req, 58));
    // Events: always for those allowed the events rule; for everyone else from 2.51, without tracebacks.
    const full = deps.policy.allowed('os_compute_api:os-instance-actions:events', caller.credentials, { project_id: s.projectId });
    if (full || atLeast(req, 51)) {
      const events = await listEvents(deps.db, action.id);
      body.events = events.map((e) => eventView(e, {
        traceback: full, host: full && atLeast(req, 62), hostId: atLeast(req, 62) ? '' : undefined, details: false,
      }));
    }
    return { instanceAction: body };
  });
}
