// Security groups and rules, and the per-project default group, created once on first use: the
// default_security_groups primary key lets exactly one of two racing first uses win.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { NetworkDb, NetworkTables, SecurityGroupRow, SecurityGroupRuleRow } from './tables.ts';
import { initialRules, ruleFingerprint } from '../domain/security-group-rules.ts';
import type { RuleInput } from '../domain/security-group-rules.ts';

type Db = Kysely<NetworkTables>;

export async function getSecurityGroup(db: Db, id: string): Promise<SecurityGroupRow | undefined> {
  return db.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listSecurityGroups(db: NetworkDb, project: string | undefined): Promise<SecurityGroupRow[]> {
  let q = db.selectFrom('security_groups').selectAll();
  if (project !== undefined) q = q.where('project_id', '=', project);
  return q.orderBy('id').execute();
}

export async function rulesOf(db: Db, groupIds: string[]): Promise<Map<string, SecurityGroupRuleRow[]>> {
  const out = new Map<string, SecurityGroupRuleRow[]>();
  if (!groupIds.length) return out;
  const rows = await db.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', groupIds).orderBy('created_at').orderBy('id').execute();
  for (const r of rows) out.set(r.security_group_id, [...(out.get(r.security_group_id) ?? []), r]);
  return out;
}

/** Which of these groups exist. */
export async function existingGroupIds(db: Db, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  return (await db.selectFrom('security_groups').select('id').where('id', 'in', ids).execute()).map((r) => r.id);
}

/** Which of these groups filter without conntrack (stateful false). */
export async function statelessGroupIds(db: Db, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await db.selectFrom('security_groups').select(['id', 'stateful']).where('id', 'in', ids).execute();
  return rows.filter((r) => !r.stateful).map((r) => r.id);
}

/** Every port in each of the groups, with its allowed address pairs' JSON (its fixed IPs are fixedIpsOf's). */
export async function memberPortsOf(db: Db, groupIds: string[]): Promise<{ groupId: string; portId: string; allowedAddressPairs: string }[]> {
  if (!groupIds.length) return [];
  return db.selectFrom('port_security_groups').innerJoin('ports', 'ports.id', 'port_security_groups.port_id')
    .select(['port_security_groups.security_group_id as groupId', 'ports.id as portId', 'ports.allowed_address_pairs as allowedAddressPairs'])
    .where('port_security_groups.security_group_id', 'in', groupIds).orderBy('ports.id').execute();
}

/** Groups other than `groupId` with a rule naming it as remote_group_id. */
export async function groupsReferencing(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('security_group_rules').select('security_group_id').distinct()
    .where('remote_group_id', '=', groupId).where('security_group_id', '!=', groupId).execute();
  return rows.map((r) => r.security_group_id);
}

export async function getRule(db: Db, id: string): Promise<SecurityGroupRuleRow | undefined> {
  return db.selectFrom('security_group_rules').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRules(db: NetworkDb, project: string | undefined): Promise<SecurityGroupRuleRow[]> {
  let q = db.selectFrom('security_group_rules').selectAll();
  if (project !== undefined) {
    q = q.where((eb) => eb.or([eb('project_id', '=', project), eb('security_group_id', 'in', eb.selectFrom('security_groups').select('id').where('project_id', '=', project))]));
  }
  return q.orderBy('id').execute();
}

export async function findRuleByFingerprint(db: Db, groupId: string, fingerprint: string): Promise<SecurityGroupRuleRow | undefined> {
  return db.selectFrom('security_group_rules').selectAll().where('security_group_id', '=', groupId).where('fingerprint', '=', fingerprint).executeTakeFirst();
}

/** Inserts a rule; a duplicate surfaces as the database's unique violation on (group, fingerprint). */
export async function insertRule(db: Db, r: { id?: string; projectId: string; groupId: string; rule: RuleInput; description: string; now: string }): Promise<string> {
  const id = r.id ?? randomUUID();
  await db.insertInto('security_group_rules').values({
    id, project_id: r.projectId, description: r.description, revision_number: 1, created_at: r.now, updated_at: r.now,
    security_group_id: r.groupId, direction: r.rule.direction, ethertype: r.rule.ethertype, protocol: r.rule.protocol,
    port_range_min: r.rule.portRangeMin, port_range_max: r.rule.portRangeMax, remote_ip_prefix: r.rule.remoteIpPrefix,
    remote_group_id: r.rule.remoteGroupId, fingerprint: ruleFingerprint(r.rule),
  }).execute();
  return id;
}

/** Creates a group with Neutron's initial rules (egress everywhere; the default group also admits its members). */
export async function insertSecurityGroup(db: Db, g: { id: string; projectId: string; name: string; description: string; stateful: boolean; isDefault: boolean; now: string }): Promise<void> {
  await db.insertInto('security_groups').values({
    id: g.id, project_id: g.projectId, name: g.name, description: g.description, stateful: g.stateful,
    revision_number: 1, created_at: g.now, updated_at: g.now,
  }).execute();
  for (const rule of initialRules(g.id, g.isDefault)) await insertRule(db, { projectId: g.projectId, groupId: g.id, rule, description: '', now: g.now });
}

/** The project's default group, created on first use. Safe when several requests are first at once. */
export async function ensureDefaultSecurityGroup(db: NetworkDb, projectId: string, now: string): Promise<string> {
  const existing = await db.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst();
  if (existing) return existing.security_group_id;
  const id = randomUUID();
  try {
    await db.transaction().execute(async (tx) => {
      await insertSecurityGroup(tx, { id, projectId, name: 'default', description: 'Default security group', stateful: true, isDefault: true, now });
      await tx.insertInto('default_security_groups').values({ project_id: projectId, security_group_id: id }).execute();
    });
    return id;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await db.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirstOrThrow();
    return winner.security_group_id;
  }
}

export async function isDefaultGroup(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('default_security_groups').select('project_id').where('security_group_id', '=', id).executeTakeFirst()) !== undefined;
}

export async function groupInUse(db: Db, id: string): Promise<boolean> {
  return (await db.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', id).executeTakeFirst()) !== undefined;
}

export async function deleteSecurityGroupRows(db: Db, id: string): Promise<void> {
  const rules = await db.selectFrom('security_group_rules').select('id').where('security_group_id', '=', id).execute();
  await db.deleteFrom('tags').where('resource_id', 'in', [id, ...rules.map((r) => r.id)]).execute();
  await db.deleteFrom('security_group_rules').where('security_group_id', '=', id).execute();
  await db.deleteFrom('security_group_rules').where('remote_group_id', '=', id).execute();
  await db.deleteFrom('default_security_groups').where('security_group_id', '=', id).execute();
  await db.deleteFrom('security_groups').where('id', '=', id).execute();
}
