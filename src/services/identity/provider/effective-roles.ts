// Which roles a user really holds on a scope: direct and group assignments, inheritance down the project tree, implied roles.
import type { IdentityDb } from '../db/tables.ts';
import { asBool } from '../db/crud.ts';

export type RoleScope = { kind: 'project'; id: string } | { kind: 'domain'; id: string } | { kind: 'system' };

/** The project's ancestors (nearest first) and its domain, walking parent_id. */
export async function projectLineage(db: IdentityDb, projectId: string): Promise<{ ancestors: string[]; domainId?: string }> {
  const ancestors: string[] = [];
  let current = await db.selectFrom('projects').select(['id', 'parent_id', 'domain_id']).where('id', '=', projectId).executeTakeFirst();
  const domainId = current?.domain_id;
  const seen = new Set([projectId]);
  while (current?.parent_id && !seen.has(current.parent_id)) {
    seen.add(current.parent_id);
    ancestors.push(current.parent_id);
    current = await db.selectFrom('projects').select(['id', 'parent_id', 'domain_id']).where('id', '=', current.parent_id).executeTakeFirst();
  }
  return { ancestors, domainId };
}

export async function groupIdsOf(db: IdentityDb, userId: string): Promise<string[]> {
  return (await db.selectFrom('user_group_membership').select('group_id').where('user_id', '=', userId).execute()).map((r) => r.group_id);
}

/** Role ids assigned to the user (directly or via groups) on the scope, before implied roles are added. */
export async function assignedRoleIds(db: IdentityDb, userId: string, scope: RoleScope): Promise<string[]> {
  const actors = [userId, ...(await groupIdsOf(db, userId))];
  const base = db.selectFrom('assignments').select(['role_id', 'target_id', 'inherited']).where('actor_id', 'in', actors);
  let rows: { role_id: string; target_id: string; inherited: boolean | number }[];
  if (scope.kind === 'project') {
    const { ancestors, domainId } = await projectLineage(db, scope.id);
    const inheritedFrom = [...ancestors, ...(domainId ? [domainId] : [])];
    rows = await base.where('target_id', 'in', [scope.id, ...inheritedFrom])
      .where('type', 'in', ['UserProject', 'GroupProject', 'UserDomain', 'GroupDomain']).execute();
    rows = rows.filter((r) => (r.target_id === scope.id ? !asBool(r.inherited) : asBool(r.inherited)));
  } else if (scope.kind === 'domain') {
    rows = (await base.where('target_id', '=', scope.id).where('type', 'in', ['UserDomain', 'GroupDomain']).execute())
      .filter((r) => !asBool(r.inherited));
  } else {
    rows = await base.where('target_id', '=', 'system').where('type', 'in', ['UserSystem', 'GroupSystem']).execute();
  }
  return [...new Set(rows.map((r) => r.role_id))];
}

/** Adds every role implied, transitively, by the given ones (admin → member → reader). */
export function expandImplied(roleIds: string[], implied: Map<string, string[]>): string[] {
  const out = new Set(roleIds);
  const queue = [...roleIds];
  while (queue.length > 0) {
    for (const next of implied.get(queue.pop()!) ?? []) {
      if (!out.has(next)) { out.add(next); queue.push(next); }
    }
  }
  return [...out];
}

export async function loadImpliedMap(db: IdentityDb): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const r of await db.selectFrom('implied_roles').selectAll().execute()) {
    map.set(r.prior_role_id, [...(map.get(r.prior_role_id) ?? []), r.implied_role_id]);
  }
  return map;
}
