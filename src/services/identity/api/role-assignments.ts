// GET /v3/role_assignments: raw or effective assignments, with filters and include_names.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, baseUrl, collectionLinks } from './deps.ts';
import type { AssignmentRow } from '../db/tables.ts';
import { asBool } from '../db/crud.ts';
import { expandImplied } from '../provider/effective-roles.ts';

/**
 * One assignment as the API reports it, before names are attached. In the effective view, `via` is the group, `from`
 * the domain or project an inherited grant was made on, and `prior` the role that implied this one, as in Keystone.
 */
interface Entry {
  roleId: string; userId?: string; groupId?: string; scope: { kind: 'project' | 'domain' | 'system'; id: string }; inherited: boolean;
  via?: string; from?: { kind: 'project' | 'domain' | 'system'; id: string }; prior?: string;
}

function fromRow(r: AssignmentRow): Entry {
  const isUser = r.type.startsWith('User');
  const kind = r.type.endsWith('Project') ? 'project' : r.type.endsWith('Domain') ? 'domain' : 'system';
  return { roleId: r.role_id, ...(isUser ? { userId: r.actor_id } : { groupId: r.actor_id }), scope: { kind, id: r.target_id }, inherited: asBool(r.inherited) };
}

export function registerRoleAssignments(app: FastifyInstance, deps: IdentityApiDeps): void {
  const db = deps.db;

  /** Effective view: groups become their members, inheritance becomes the projects it reaches, implied roles are added. */
  async function effective(entries: Entry[]): Promise<Entry[]> {
    const out: Entry[] = [];
    const projects = await db.selectFrom('projects').select(['id', 'parent_id', 'domain_id']).execute();
    const subtree = (rootId: string): string[] => {
      const kids = projects.filter((p) => p.parent_id === rootId).map((p) => p.id);
      return kids.flatMap((k) => [k, ...subtree(k)]);
    };
    const implied = await deps.state.implied();
    for (const e of entries) {
      const users = e.groupId
        ? (await db.selectFrom('user_group_membership').select('user_id').where('group_id', '=', e.groupId).execute()).map((m) => m.user_id)
        : [e.userId!];
      const scopes = !e.inherited ? [e.scope]
        : e.scope.kind === 'domain' ? projects.filter((p) => p.domain_id === e.scope.id).map((p) => ({ kind: 'project' as const, id: p.id }))
          : subtree(e.scope.id).map((id) => ({ kind: 'project' as const, id }));
      for (const userId of users) {
        for (const scope of scopes) {
          const roleIds = expandImplied([e.roleId], implied);
          for (const roleId of roleIds) {
            const prior = roleId === e.roleId ? undefined : roleIds.find((p) => implied.get(p)?.includes(roleId));
            out.push({ roleId, userId, scope, inherited: false, ...(e.groupId ? { via: e.groupId } : {}), ...(e.inherited ? { from: e.scope } : {}), ...(prior ? { prior } : {}) });
          }
        }
      }
    }
    const seen = new Set<string>();
    return out.filter((e) => {
      const key = `${e.roleId}|${e.userId}|${e.scope.kind}|${e.scope.id}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  async function render(req: FastifyRequest, entries: Entry[], includeNames: boolean) {
    const base = baseUrl(req);
    const roles = await deps.state.roles();
    const names = async (table: 'users' | 'groups' | 'projects' | 'domains', ids: string[]) => {
      if (!includeNames || ids.length === 0) return new Map<string, { name: string; domain_id?: string }>();
      const rows = await (db.selectFrom(table as 'users').selectAll().where('id', 'in', [...new Set(ids)]).execute()) as { id: string; name: string; domain_id?: string }[];
      return new Map(rows.map((r) => [r.id, r]));
    };
    const users = await names('users', entries.flatMap((e) => (e.userId ? [e.userId] : [])));
    const groups = await names('groups', entries.flatMap((e) => (e.groupId ? [e.groupId] : [])));
    const projects = await names('projects', entries.filter((e) => e.scope.kind === 'project').map((e) => e.scope.id));
    const domainIds = [...users.values(), ...groups.values(), ...projects.values()].flatMap((r) => (r.domain_id ? [r.domain_id] : []));
    const domains = await names('domains', [...domainIds, ...entries.filter((e) => e.scope.kind === 'domain').map((e) => e.scope.id)]);
    const domainRef = (id?: string) => (id ? { id, name: domains.get(id)?.name } : undefined);
    const named = (id: string, m: Map<string, { name: string; domain_id?: string }>) =>
      includeNames && m.get(id) ? { id, name: m.get(id)!.name, ...(m.get(id)!.domain_id ? { domain: domainRef(m.get(id)!.domain_id) } : {}) } : { id };
    return entries.map((e) => {
      const scope = e.scope.kind === 'system' ? { system: { all: true } }
        : e.scope.kind === 'project' ? { project: named(e.scope.id, projects) } : { domain: includeNames ? domainRef(e.scope.id)! : { id: e.scope.id } };
      const inherited = e.inherited || e.from !== undefined;
      if (inherited) (scope as Record<string, unknown>)['OS-INHERIT:inherited_to'] = 'projects';
      const actor = e.userId ? { user: named(e.userId, users) } : { group: named(e.groupId!, groups) };
      const role = roles.get(e.roleId);
      // The assignment link names the grant itself: where it was made, by whom (the group for a membership) and which role.
      const target = e.from ?? e.scope;
      const granted = e.prior ?? e.roleId;
      const path = target.kind === 'system' ? `/system/${e.userId ? 'users' : 'groups'}/${e.userId ?? e.groupId}/roles/${granted}`
        : `/${target.kind}s/${target.id}/${e.userId && !e.via ? 'users' : 'groups'}/${e.via ?? e.userId ?? e.groupId}/roles/${granted}`;
      return {
        role: includeNames && role ? { id: e.roleId, name: role.name, ...(role.domain_id ? { domain: domainRef(role.domain_id) } : {}) } : { id: e.roleId },
        ...actor, scope,
        links: {
          assignment: inherited ? `${base}/v3/OS-INHERIT${path}/inherited_to_projects` : `${base}/v3${path}`,
          ...(e.via ? { membership: `${base}/v3/groups/${e.via}/users/${e.userId}` } : {}),
          // Keystone's own (odd) order: the implied role first, then the prior one.
          ...(e.prior ? { prior_role: `${base}/v3/prior_role/${e.roleId}/implies/${e.prior}` } : {}),
        },
      };
    });
  }

  app.get('/v3/role_assignments', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const flag = (name: string) => name in q && q[name] !== 'false' && q[name] !== '0';
    const isEffective = flag('effective');
    if (isEffective && q['group.id']) throw new BadRequest('Combining effective and group filter will always result in an empty list.');
    const domainFilter = q['scope.domain.id'];
    authorize(deps, req, 'identity:list_role_assignments', { target: { domain_id: domainFilter } });
    let entries = (await db.selectFrom('assignments').selectAll().execute()).map(fromRow);
    if (isEffective) entries = await effective(entries);
    if (q['user.id']) entries = entries.filter((e) => e.userId === q['user.id']);
    if (q['group.id']) entries = entries.filter((e) => e.groupId === q['group.id']);
    if (q['role.id']) entries = entries.filter((e) => e.roleId === q['role.id']);
    if (q['scope.project.id']) {
      const wanted = new Set([q['scope.project.id']]);
      if (flag('include_subtree')) {
        const all = await db.selectFrom('projects').select(['id', 'parent_id']).execute();
        let frontier = [...wanted];
        while (frontier.length) { frontier = all.filter((p) => p.parent_id && frontier.includes(p.parent_id)).map((p) => p.id); frontier.forEach((id) => wanted.add(id)); }
      }
      entries = entries.filter((e) => e.scope.kind === 'project' && wanted.has(e.scope.id));
    }
    if (domainFilter) entries = entries.filter((e) => e.scope.kind === 'domain' && e.scope.id === domainFilter);
    if ('scope.system' in q) entries = entries.filter((e) => e.scope.kind === 'system');
    if (q['scope.OS-INHERIT:inherited_to']) entries = entries.filter((e) => e.inherited || e.from !== undefined);
    return { role_assignments: await render(req, entries, flag('include_names')), links: collectionLinks(req) };
  });
}
