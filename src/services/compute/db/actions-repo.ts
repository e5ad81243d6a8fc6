// Instance actions and their events: what happened to a server, step by step, with timings (server event list/show).
import { randomUUID } from 'node:crypto';
import type { ComputeDb, InstanceActionEventRow, InstanceActionRow } from './tables.ts';

export interface ActionStart {
  instanceUuid: string;
  action: string;
  requestId: string;
  globalRequestId: string;
  userId: string;
  projectId: string;
}

/** Records the start of an action (create, delete, stop…); one per request and server. */
export async function startAction(db: ComputeDb, a: ActionStart): Promise<string> {
  const id = randomUUID();
  const now = new Date().toISOString();
  await db.insertInto('instance_actions').values({
    id, instance_uuid: a.instanceUuid, action: a.action, request_id: a.requestId, global_request_id: a.globalRequestId,
    user_id: a.userId, project_id: a.projectId, start_time: now, finish_time: null, message: null, updated_at: now,
  }).execute();
  return id;
}

export async function findAction(db: ComputeDb, instanceUuid: string, requestId: string): Promise<InstanceActionRow | undefined> {
  return db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid).where('request_id', '=', requestId).executeTakeFirst();
}

/** Starts an event of the action a request began on a server; returns the event id. */
export async function startEvent(db: ComputeDb, instanceUuid: string, requestId: string, event: string, host: string | null): Promise<string | undefined> {
  const action = await findAction(db, instanceUuid, requestId);
  if (!action) return undefined;
  const id = randomUUID();
  const now = new Date().toISOString();
  await db.insertInto('instance_action_events').values({
    id, action_id: action.id, event, host, start_time: now, finish_time: null, result: null, traceback: null, details: null,
  }).execute();
  await db.updateTable('instance_actions').set({ updated_at: now }).where('id', '=', action.id).execute();
  return id;
}

/**
 * Finishes the newest unfinished event of that name; an error marks the action failed too (Nova's message 'Error').
 * `finishAction`: the action ends with it (finishAction's write folded into this one).
 */
export async function finishEvent(db: ComputeDb, instanceUuid: string, requestId: string, event: string,
  outcome: { ok: true } | { ok: false; error: string; traceback?: string }, opts: { finishAction?: boolean } = {}): Promise<void> {
  const action = await findAction(db, instanceUuid, requestId);
  if (!action) return;
  const now = new Date().toISOString();
  const open = await db.selectFrom('instance_action_events').select('id').where('action_id', '=', action.id).where('event', '=', event)
    .where('finish_time', 'is', null).orderBy('start_time', 'desc').executeTakeFirst();
  if (open) {
    await db.updateTable('instance_action_events').set({
      finish_time: now, result: outcome.ok ? 'Success' : 'Error', traceback: outcome.ok ? null : (outcome.traceback ?? outcome.error),
      details: outcome.ok ? null : outcome.error,
    }).where('id', '=', open.id).execute();
  }
  await db.updateTable('instance_actions').set({ updated_at: now, ...(outcome.ok ? {} : { message: 'Error' }), ...(opts.finishAction ? { finish_time: now } : {}) })
    .where('id', '=', action.id).execute();
}

export async function finishAction(db: ComputeDb, instanceUuid: string, requestId: string): Promise<void> {
  const now = new Date().toISOString();
  await db.updateTable('instance_actions').set({ finish_time: now, updated_at: now })
    .where('instance_uuid', '=', instanceUuid).where('request_id', '=', requestId).execute();
}

export async function listActions(db: ComputeDb, instanceUuid: string): Promise<InstanceActionRow[]> {
  return db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('start_time', 'desc').orderBy('id').execute();
}

export async function listEvents(db: ComputeDb, actionId: string): Promise<InstanceActionEventRow[]> {
  return db.selectFrom('instance_action_events').selectAll().where('action_id', '=', actionId).orderBy('start_time').orderBy('id').execute();
}
