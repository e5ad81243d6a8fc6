// Security groups and their rules. A project's default group appears on first use (listing groups, creating one,
// or a port); rules are checked as Neutron checks them, and a duplicate rule is refused by the database's key.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '#lib/db/index.ts';
import {
  deleteSecurityGroupRows, ensureDefaultSecurityGroup, findRuleByFingerprint, getRule, getSecurityGroup, groupInUse, groupsReferencing, insertRule,
  insertSecurityGroup, isDefaultGroup, listRules, listSecurityGroups, rulesOf,
} from '../db/security-groups-repo.ts';
import { tagsOf, touchRow } from '../db/standard-attrs.ts';
import { checkQuota } from '../db/quotas-repo.ts';
import type { SecurityGroupRow } from '../db/tables.ts';
import { NeutronError, cannotDeleteDefaultSecurityGroup, notFound, securityGroupInUse, securityGroupRuleExists } from '../domain/errors.ts';
import { normalizeProtocol, ruleFingerprint, validateRule } from '../domain/security-group-rules.ts';
import { callerOf, listScope, can, enforce, idParam, now, owningProject } from './deps.ts';
import type { Caller, NetworkApiDeps } from './deps.ts';
import { listResponse, showFields } from './list-query.ts';
import { bodyOf, expectedRevision } from './request-helpers.ts';
import { ruleView, securityGroupView } from './views.ts';
import { bool, description, envelope, name, uuidish } from './schemas/common.ts';
import { quotaDefaults } from './quotas.ts';

const groupCreate = envelope('security_group', { name, description, stateful: bool, tenant_id: uuidish, project_id: uuidish });
const groupUpdate = envelope('security_group', { name, description, stateful: bool });
const port = { type: ['integer', 'null'], minimum: -1, maximum: 65535 } as const;
const ruleCreate = envelope('security_group_rule', {
  security_group_id: uuidish, direction: { type: 'string', enum: ['ingress', 'egress'] }, ethertype: { type: 'string', enum: ['IPv4', 'IPv6'] },
  protocol: { type: ['string', 'integer', 'null'], maxLength: 40 }, port_range_min: port, port_range_max: port,
  remote_ip_prefix: { type: ['string', 'null'], maxLength: 64 }, remote_group_id: { type: ['string', 'null'], maxLength: 64 }, description,
  tenant_id: uuidish, project_id: uuidish,
}, ['security_group_id', 'direction']);

const target = (g: { project_id: string }) => ({ project_id: g.project_id });

export async function loadGroup(deps: NetworkApiDeps, caller: Caller, id: string): Promise<SecurityGroupRow> {
  const g = await getSecurityGroup(deps.db, id);
  if (!g || !can(deps, caller, 'get_security_group', target(g))) throw notFound('SecurityGroup', id);
  return g;
}

async function render(deps: NetworkApiDeps, rows: SecurityGroupRow[]) {
  const ids = rows.map((r) => r.id);
  const [rules, tags] = await Promise.all([rulesOf(deps.db, ids), tagsOf(deps.db, ids)]);
  return rows.map((r) => securityGroupView(r, { rules: rules.get(r.id) ?? [], tags: tags.get(r.id) ?? [] }));
}

function notifyGroupChanged(deps: NetworkApiDeps, req: FastifyRequest, groupId: string): void {
  deps.events.agents(req.ctx, 'security_groups_rule_updated', { securityGroupIds: [groupId] });
}

export function registerSecurityGroups(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/security-groups', async (req) => {
    const caller = callerOf(deps, req);
    if (caller.projectId) await ensureDefaultSecurityGroup(deps.db, caller.projectId, now());
    const rows = (await listSecurityGroups(deps.db, listScope(deps, caller)))
      .filter((g) => can(deps, caller, 'get_security_group', target(g)));
    return listResponse(req, await render(deps, rows), { collection: 'security_groups', path: '/v2.0/security-groups', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/security-groups/:id', async (req) => {
    const g = await loadGroup(deps, callerOf(deps, req), idParam(req));
    return { security_group: showFields(req, (await render(deps, [g]))[0]) };
  });

  app.post('/v2.0/security-groups', { schema: { body: groupCreate } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = bodyOf<{ name?: string; description?: string; stateful?: boolean; project_id?: string; tenant_id?: string }>(req, 'security_group');
    const project = owningProject(caller, b);
    enforce(deps, caller, 'create_security_group', { project_id: project });
    if (b.name === 'default') throw new NeutronError(409, 'SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');
    await ensureDefaultSecurityGroup(deps.db, project, now());
    const id = randomUUID();
    await deps.db.transaction().execute(async (tx) => {
      await checkQuota(tx, project, 'security_group', quotaDefaults(deps));
      await insertSecurityGroup(tx, { id, projectId: project, name: b.name ?? '', description: b.description ?? '', stateful: b.stateful ?? true, isDefault: false, now: now() });
    });
    const security_group = (await render(deps, [(await getSecurityGroup(deps.db, id))!]))[0];
    deps.events.resourceChanged(req.ctx, 'security_group', 'create', { security_group });
    reply.code(201);
    return { security_group };
  });

  app.put('/v2.0/security-groups/:id', { schema: { body: groupUpdate } }, async (req) => {
    const caller = callerOf(deps, req);
    const g = await loadGroup(deps, caller, idParam(req));
    enforce(deps, caller, 'update_security_group', target(g));
    const b = bodyOf<{ name?: string; description?: string; stateful?: boolean }>(req, 'security_group');
    if (b.name !== undefined && b.name !== 'default' && await isDefaultGroup(deps.db, g.id)) {
      throw new NeutronError(409, 'SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
    }
    const changes = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined));
    await deps.db.transaction().execute(async (tx) => {
      // Ports filter with or without conntrack by their groups: a group in use keeps its kind, as in Neutron.
      if (b.stateful !== undefined && b.stateful !== Boolean(g.stateful) && await groupInUse(tx, g.id)) throw securityGroupInUse(g.id);
      if (!await touchRow(tx, 'security_groups', g.id, { expected: expectedRevision(req), changes, now: now() })) throw notFound('SecurityGroup', g.id);
    });
    const security_group = (await render(deps, [(await getSecurityGroup(deps.db, g.id))!]))[0];
    deps.events.resourceChanged(req.ctx, 'security_group', 'update', { security_group });
    notifyGroupChanged(deps, req, g.id);
    return { security_group };
  });

  app.delete('/v2.0/security-groups/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const g = await loadGroup(deps, caller, idParam(req));
    enforce(deps, caller, 'delete_security_group', target(g));
    if (await isDefaultGroup(deps.db, g.id) && !caller.isAdmin) throw cannotDeleteDefaultSecurityGroup();
    const expected = expectedRevision(req);
    // Rules elsewhere naming it as their remote group go with it: agents filtering by them refetch.
    let referencing: string[] = [];
    await deps.db.transaction().execute(async (tx) => {
      if (expected !== undefined) await touchRow(tx, 'security_groups', g.id, { expected, now: now() });
      if (await groupInUse(tx, g.id)) throw securityGroupInUse(g.id);
      referencing = await groupsReferencing(tx, g.id);
      await deleteSecurityGroupRows(tx, g.id);
    });
    deps.events.resourceChanged(req.ctx, 'security_group', 'delete', { security_group_id: g.id });
    if (referencing.length) deps.events.agents(req.ctx, 'security_groups_rule_updated', { securityGroupIds: referencing });
    reply.code(204);
  });

  registerRules(app, deps);
}

function registerRules(app: FastifyInstance, deps: NetworkApiDeps): void {
  const ruleTarget = (rule: { project_id: string }, group: { project_id: string }) => ({ project_id: rule.project_id, 'security_group:tenant_id': group.project_id });

  app.get('/v2.0/security-group-rules', async (req) => {
    const caller = callerOf(deps, req);
    const rows = await listRules(deps.db, listScope(deps, caller));
    return listResponse(req, rows.map(ruleView), { collection: 'security_group_rules', path: '/v2.0/security-group-rules', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/security-group-rules/:id', async (req) => {
    const caller = callerOf(deps, req);
    const rule = await getRule(deps.db, idParam(req));
    const group = rule && await getSecurityGroup(deps.db, rule.security_group_id);
    if (!rule || !group || !can(deps, caller, 'get_security_group_rule', ruleTarget(rule, group))) throw notFound('SecurityGroupRule', idParam(req));
    return { security_group_rule: showFields(req, ruleView(rule)) };
  });

  app.post('/v2.0/security-group-rules', { schema: { body: ruleCreate } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    type RuleBody = {
      security_group_id: string; direction: 'ingress' | 'egress'; ethertype?: 'IPv4' | 'IPv6'; protocol?: string | number | null;
      port_range_min?: number | null; port_range_max?: number | null; remote_ip_prefix?: string | null; remote_group_id?: string | null;
      description?: string; project_id?: string; tenant_id?: string;
    };
    const b = bodyOf<RuleBody>(req, 'security_group_rule');
    const group = await loadGroup(deps, caller, b.security_group_id);
    const project = owningProject(caller, { project_id: b.project_id ?? b.tenant_id ?? group.project_id });
    enforce(deps, caller, 'create_security_group_rule', { project_id: group.project_id });
    if (b.remote_group_id) await loadGroup(deps, caller, b.remote_group_id);
    const rule = validateRule({
      direction: b.direction, ethertype: b.ethertype ?? 'IPv4', protocol: normalizeProtocol(b.protocol),
      portRangeMin: b.port_range_min ?? null, portRangeMax: b.port_range_max ?? null,
      remoteIpPrefix: b.remote_ip_prefix ?? null, remoteGroupId: b.remote_group_id ?? null,
    });
    const existing = await findRuleByFingerprint(deps.db, group.id, ruleFingerprint(rule));
    if (existing) throw securityGroupRuleExists(existing.id);
    const id = randomUUID();
    try {
      await deps.db.transaction().execute(async (tx) => {
        await checkQuota(tx, project, 'security_group_rule', quotaDefaults(deps));
        await insertRule(tx, { id, projectId: project, groupId: group.id, rule, description: b.description ?? '', now: now() });
        await touchRow(tx, 'security_groups', group.id, { now: now() });
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw securityGroupRuleExists((await findRuleByFingerprint(deps.db, group.id, ruleFingerprint(rule)))?.id ?? 'unknown');
    }
    const security_group_rule = ruleView((await getRule(deps.db, id))!);
    deps.events.resourceChanged(req.ctx, 'security_group_rule', 'create', { security_group_rule });
    notifyGroupChanged(deps, req, group.id);
    reply.code(201);
    return { security_group_rule };
  });

  app.delete('/v2.0/security-group-rules/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const rule = await getRule(deps.db, idParam(req));
    const group = rule && await getSecurityGroup(deps.db, rule.security_group_id);
    if (!rule || !group || !can(deps, caller, 'get_security_group_rule', ruleTarget(rule, group))) throw notFound('SecurityGroupRule', idParam(req));
    enforce(deps, caller, 'delete_security_group_rule', { project_id: group.project_id });
    await deps.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('security_group_rules').where('id', '=', rule.id).execute();
      await touchRow(tx, 'security_groups', group.id, { now: now() });
    });
    deps.events.resourceChanged(req.ctx, 'security_group_rule', 'delete', { security_group_rule_id: rule.id });
    notifyGroupChanged(deps, req, group.id);
    reply.code(204);
  });
}
