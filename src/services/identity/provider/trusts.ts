// What a trust (OS-TRUST) grants at a given moment: whether it is still live, which of its roles the trustor still
// holds, and taking one of its limited uses without ever overspending under concurrent token requests.
import type { IdentityDb, TrustRow } from '../db/tables.ts';
import { assignedRoleIds, expandImplied } from './effective-roles.ts';

export const isTrustExpired = (trust: TrustRow, now = Date.now()): boolean =>
  trust.expires_at !== null && Date.parse(trust.expires_at) <= now;

/** The trust if it exists, is not deleted and has not expired; undefined otherwise. Exhausted trusts are returned. */
export async function findLiveTrust(db: IdentityDb, trustId: string): Promise<TrustRow | undefined> {
  const trust = await db.selectFrom('trusts').selectAll().where('id', '=', trustId).where('deleted_at', 'is', null).executeTakeFirst();
  if (!trust || isTrustExpired(trust)) return undefined;
  return { ...trust, remaining_uses: trust.remaining_uses === null ? null : Number(trust.remaining_uses) };
}

export const hasUsesLeft = (trust: TrustRow): boolean => trust.remaining_uses === null || trust.remaining_uses > 0;

/** The role ids stored on the trust, as delegated (implied roles not added). */
export async function trustRoleIds(db: IdentityDb, trustId: string): Promise<string[]> {
  return (await db.selectFrom('trust_roles').select('role_id').where('trust_id', '=', trustId).execute()).map((r) => r.role_id);
}

/** Every role (implied ones included) a user effectively holds on a project. */
export async function heldRoleIds(db: IdentityDb, implied: Map<string, string[]>, userId: string, projectId: string): Promise<string[]> {
  return expandImplied(await assignedRoleIds(db, userId, { kind: 'project', id: projectId }), implied);
}

/**
 * The roles a trust-scoped token carries right now: the trust's roles plus the roles they imply, kept only where the
 * trustor still holds them on the trust's project. Empty means the trust no longer grants anything.
 */
export async function delegatedRoleIds(db: IdentityDb, implied: Map<string, string[]>, trust: TrustRow): Promise<string[]> {
  if (!trust.project_id) return [];
  const held = new Set(await heldRoleIds(db, implied, trust.trustor_user_id, trust.project_id));
  return expandImplied(await trustRoleIds(db, trust.id), implied).filter((id) => held.has(id));
}

/**
 * Takes one use of a limited trust with a single conditional UPDATE (… WHERE remaining_uses > 0), so concurrent
 * token requests, in this process or another sharing the database, can never take more uses than there were.
 * Returns false when no use was left (or the trust was deleted meanwhile). Unlimited trusts always succeed.
 */
export async function consumeTrustUse(db: IdentityDb, trust: TrustRow): Promise<boolean> {
  // remaining_uses is fixed at creation: a trust created unlimited stays unlimited.
  if (trust.remaining_uses === null) return true;
  const result = await db.updateTable('trusts')
    .set((eb) => ({ remaining_uses: eb('remaining_uses', '-', 1) }))
    .where('id', '=', trust.id).where('deleted_at', 'is', null).where('remaining_uses', '>', 0)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
