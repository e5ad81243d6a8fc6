// os-instance-actions: what was done to a server and, per action, its events with timings (server event list/show).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { actionNotFound } from '../domain/errors.ts';
import { findAction, listActions, listEvents } from '../db/actions-repo.ts';
import type { InstanceActionEventRow, InstanceActionRow } from '../db/tables.ts';
import { getInstance } from '../db/instances-repo.ts';
import { instanceNotFound } from '../domain/errors.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { timeBounds } from './query-time.ts';

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

/** Nova's hostId of an event's host: per project, so users can compare hosts without seeing them ('' with no host). */
const hostIdOf = (projectId: string, host: string | null): string => (host ? createHash('sha224').update(projectId + host).digest('hex') : '');

/**
 * 2.58: limit, marker (a request id) and changes-since; 2.66: changes-before — on updated_at, newest first as listed.
 * A bad time or an unknown marker is a 400.
 */
function pageOf(req: FastifyRequest, actions: InstanceActionRow[]): InstanceActionRow[] {
  if (!atLeast(req, 58)) return actions;
  const q = req.query as { limit?: string; marker?: string; 'changes-since'?: string; 'changes-before'?: string };
  const bounds = timeBounds(q['changes-since'], atLeast(req, 66) ? q['changes-before'] : undefined);
  const since = bounds.since === undefined ? undefined : Date.parse(bounds.since);
  const before = bounds.before === undefined ? undefined : Date.parse(bounds.before);
  let out = actions.filter((a) => (since === undefined || Date.parse(a.updated_at) >= since) && (before === undefined || Date.parse(a.updated_at) <= before));
  if (q.marker !== undefined) {
    const at = out.findIndex((a) => a.request_id === q.marker);
    if (at < 0) throw new BadRequest(`Marker ${q.marker} could not be found.`);
    out = out.slice(at + 1);
  }
  if (q.limit !== undefined) {
    if (!/^[0-9]+$/.test(q.limit)) throw new BadRequest(`Invalid input for query parameters limit. Value: ${q.limit}.`);
    out = out.slice(0, Number(q.limit));
  }
  return out;
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
    const actions = pageOf(req, await listActions(deps.db, s.uuid));
    return { instanceActions: actions.map((a) => actionView(a, atLeast(req, 58))) };
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
      const details = atLeast(req, 84) && deps.policy.allowed('os_compute_api:os-instance-actions:events:details', caller.credentials, { project_id: s.projectId });
      body.events = events.map((e) => eventView(e, {
        traceback: full, host: full && atLeast(req, 62), hostId: atLeast(req, 62) ? hostIdOf(s.projectId, e.host) : undefined, details,
      }));
    }
    return { instanceAction: body };
  });
}
