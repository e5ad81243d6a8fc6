// Server groups and their members; the hosts a group's live members run on are what the affinity filters read.
import type { Dialect } from '#lib/db/index.ts';
import type { ComputeDb, ServerGroupRow } from './tables.ts';

export async function insertServerGroup(db: ComputeDb, row: ServerGroupRow): Promise<void> {
  await db.insertInto('server_groups').values(row).execute();
}

export async function getServerGroup(db: ComputeDb, uuid: string): Promise<ServerGroupRow | undefined> {
  return db.selectFrom('server_groups').selectAll().where('uuid', '=', uuid).executeTakeFirst();
}

export async function listServerGroups(db: ComputeDb, f: { projectId?: string; limit: number; offset: number }): Promise<ServerGroupRow[]> {
  let q = db.selectFrom('server_groups').selectAll();
  if (f.projectId) q = q.where('project_id', '=', f.projectId);
  return q.orderBy('created_at').orderBy('uuid').limit(f.limit).offset(f.offset).execute();
}

export async function deleteServerGroup(db: ComputeDb, uuid: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('server_group_members').where('group_uuid', '=', uuid).execute();
    await tx.deleteFrom('server_groups').where('uuid', '=', uuid).execute();
  });
}

export async function addMember(db: ComputeDb, groupUuid: string, instanceUuid: string): Promise<void> {
  await db.insertInto('server_group_members').values({ group_uuid: groupUuid, instance_uuid: instanceUuid }).execute();
}

/** Live members (deleted servers leave their groups, as in Nova). */
export async function liveMembers(db: ComputeDb, groupUuid: string): Promise<{ uuid: string; host: string | null }[]> {
  return db.selectFrom('server_group_members').innerJoin('instances', 'instances.uuid', 'server_group_members.instance_uuid')
    .select(['instances.uuid as uuid', 'instances.host as host'])
    .where('server_group_members.group_uuid', '=', groupUuid).where('instances.deleted', '=', false).execute();
}

export async function groupOf(db: ComputeDb, instanceUuid: string): Promise<ServerGroupRow | undefined> {
  return db.selectFrom('server_group_members').innerJoin('server_groups', 'server_groups.uuid', 'server_group_members.group_uuid')
    .selectAll('server_groups').where('server_group_members.instance_uuid', '=', instanceUuid).executeTakeFirst();
}

export async function countGroups(db: ComputeDb, projectId: string): Promise<number> {
  const r = await db.selectFrom('server_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/**
 * Records a group member's host only if the group's hard policy still holds with it there, checked and written in
 * one transaction that holds the group's row (SQLite serialises transactions itself), so two members scheduled at
 * the same moment cannot both break the policy. Returns false when the host would break it.
 */
export async function placeGroupMember(db: ComputeDb, dialect: Dialect, groupUuid: string, instanceUuid: string,
  host: string, node: string, policy: string, maxServerPerHost = 1): Promise<'placed' | 'violates' | 'gone'> {
  return db.transaction().execute(async (tx) => {
    const lock = tx.selectFrom('server_groups').select('uuid').where('uuid', '=', groupUuid);
    await (dialect === 'sqlite' ? lock : lock.forUpdate()).execute();
    const others = (await liveMembers(tx, groupUuid)).filter((m) => m.uuid !== instanceUuid && m.host);
    if (policy === 'anti-affinity' && others.filter((m) => m.host === host).length >= maxServerPerHost) return 'violates';
    if (policy === 'affinity' && others.some((m) => m.host !== host)) return 'violates';
    const res = await tx.updateTable('instances').set({ host, node, updated_at: new Date().toISOString() })
      .where('uuid', '=', instanceUuid).where('task_state', '=', 'scheduling').where('deleted', '=', false).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? 'placed' : 'gone';
  });
}

/** A group's 2.64 rules as the scheduler takes them (max_server_per_host for anti-affinity; absent: 1). */
export function groupRules(g: ServerGroupRow): { maxServerPerHost?: number } {
  const rules = JSON.parse(g.rules || '{}') as { max_server_per_host?: number };
  return rules.max_server_per_host ? { maxServerPerHost: rules.max_server_per_host } : {};
}
