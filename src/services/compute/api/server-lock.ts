// The lock and unlock server actions: a locked server refuses its project's actions (admins pass); from 2.73 a lock
// may say why (locked_reason, kept in the server's system metadata as Nova keeps it, shown in server views).
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { updateInstance } from '../db/instances-repo.ts';
import { updateSystemMetadata } from '../db/system-metadata-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { loadServer } from './servers.ts';

export const LOCKED_REASON_KEY = 'locked_reason';

/** The reason a 2.73+ lock gives: null or an object with at most a locked_reason string of 255 characters. */
function reasonOf(req: FastifyRequest, args: unknown): string | undefined {
  if (!atLeast(req, 73) || args === null || args === undefined) return undefined;
  if (typeof args !== 'object' || Array.isArray(args)) throw new BadRequest('Invalid input for field/attribute lock. Value must be null or an object.');
  const { locked_reason: reason, ...rest } = args as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) throw new BadRequest(`Invalid input for field/attribute lock. Additional properties are not allowed ('${extra[0]}' was unexpected)`);
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > 255) throw new BadRequest('Invalid input for field/attribute locked_reason. Value must be a string of at most 255 characters.');
  return reason;
}

export async function lock(deps: ComputeApiDeps, req: FastifyRequest, locking: boolean, args: unknown): Promise<void> {
  const reason = locking ? reasonOf(req, args) : undefined;
  const { caller, server } = await loadServer(deps, req, locking ? 'os_compute_api:os-lock-server:lock' : 'os_compute_api:os-lock-server:unlock');
  if (!locking && server.lockedBy === 'admin' && !caller.isAdmin) {
    deps.policy.enforce('os_compute_api:os-lock-server:unlock:unlock_override', caller.credentials, { project_id: server.projectId });
  }
  await updateInstance(deps.db, server.uuid, locking ? { locked: true, lockedBy: caller.isAdmin && caller.projectId !== server.projectId ? 'admin' : 'owner' } : { locked: false, lockedBy: null });
  await updateSystemMetadata(deps.db, server.uuid, reason !== undefined ? { set: { [LOCKED_REASON_KEY]: reason } } : { remove: [LOCKED_REASON_KEY] });
  await startAction(deps.db, {
    instanceUuid: server.uuid, action: locking ? 'lock' : 'unlock', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: caller.credentials.userId, projectId: server.projectId,
  });
}
