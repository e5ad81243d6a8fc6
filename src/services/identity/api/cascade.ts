// Deletions that Keystone cascades: a project takes its assignments, a domain takes its projects, users, groups and roles;
// trusts on a deleted project or of a deleted user are soft-deleted, as Keystone's trust manager does.
import type { Transaction } from 'kysely';
import type { IdentityDb, IdentityTables } from '../db/tables.ts';
import { nowIso } from '../db/crud.ts';

/** Soft-deletes the live trusts on these projects or with these users as trustor or trustee. */
export async function deleteTrustsOf(trx: Transaction<IdentityTables>, of: { projectIds?: string[]; userIds?: string[] }): Promise<void> {
  const projects = of.projectIds ?? [];
  const users = of.userIds ?? [];
  if (projects.length === 0 && users.length === 0) return;
  await trx.updateTable('trusts').set({ deleted_at: nowIso() }).where('deleted_at', 'is', null)
    .where((eb) => eb.or([
      ...(projects.length ? [eb('project_id', 'in', projects)] : []),
      ...(users.length ? [eb('trustor_user_id', 'in', users), eb('trustee_user_id', 'in', users)] : []),
    ])).execute();
}

export async function deleteProjectRows(db: IdentityDb, projectId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('assignments').where('target_id', '=', projectId).execute();
    await deleteTrustsOf(trx, { projectIds: [projectId] });
    await trx.deleteFrom('projects').where('id', '=', projectId).execute();
  });
}

export async function deleteDomainCascade(db: IdentityDb, domainId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const projects = (await trx.selectFrom('projects').select('id').where('domain_id', '=', domainId).execute()).map((r) => r.id);
    const users = (await trx.selectFrom('users').select('id').where('domain_id', '=', domainId).execute()).map((r) => r.id);
    const groups = (await trx.selectFrom('groups').select('id').where('domain_id', '=', domainId).execute()).map((r) => r.id);
    const targets = [domainId, ...projects];
    const actors = [...users, ...groups];
    await trx.deleteFrom('assignments').where('target_id', 'in', targets).execute();
    if (actors.length) await trx.deleteFrom('assignments').where('actor_id', 'in', actors).execute();
    await deleteTrustsOf(trx, { projectIds: projects, userIds: users });
    // Children first: projects reference their parents.
    let remaining = projects;
    while (remaining.length) {
      const parents = new Set((await trx.selectFrom('projects').select('parent_id').where('id', 'in', remaining).execute()).map((r) => r.parent_id));
      const leaves = remaining.filter((p) => !parents.has(p));
      const batch = leaves.length ? leaves : remaining;
      await trx.deleteFrom('projects').where('id', 'in', batch).execute();
      remaining = remaining.filter((p) => !batch.includes(p));
    }
    await trx.deleteFrom('users').where('domain_id', '=', domainId).execute();
    await trx.deleteFrom('groups').where('domain_id', '=', domainId).execute();
    await trx.deleteFrom('roles').where('domain_id', '=', domainId).execute();
    await trx.deleteFrom('domains').where('id', '=', domainId).execute();
  });
}
