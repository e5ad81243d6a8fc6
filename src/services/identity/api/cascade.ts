// Deletions that Keystone cascades: a project takes its assignments, a domain takes its projects, users, groups and roles.
import type { IdentityDb } from '../db/tables.ts';

export async function deleteProjectRows(db: IdentityDb, projectId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('assignments').where('target_id', '=', projectId).execute();
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
