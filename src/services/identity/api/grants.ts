// Role grants: PUT/HEAD/GET/DELETE on /v3/{projects|domains}/{id}/{users|groups}/{id}/roles[/{role}],
// the OS-INHERIT variants, and /v3/system/{users|groups}/{id}/roles[/{role}].
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks } from './deps.ts';
import type { AssignmentType } from '../db/tables.ts';
import { notFound } from '../domain/errors.ts';
import { roleView } from './views.ts';

type TargetKind = 'projects' | 'domains' | 'system';
type ActorKind = 'users' | 'groups';

interface Grant { type: AssignmentType; actorId: string; targetId: string; inherited: boolean; domainId?: string; projectId?: string }

export function registerGrants(app: FastifyInstance, deps: IdentityApiDeps): void {
  async function resolve(req: FastifyRequest, target: TargetKind, actor: ActorKind, inherited: boolean): Promise<Grant> {
    const p = req.params as { target_id?: string; actor_id: string };
    const actorRow = actor === 'users'
      ? await deps.db.selectFrom('users').select(['id']).where('id', '=', p.actor_id).executeTakeFirst()
      : await deps.db.selectFrom('groups').select(['id']).where('id', '=', p.actor_id).executeTakeFirst();
    if (!actorRow) throw notFound(actor === 'users' ? 'user' : 'group', p.actor_id);
    const who = actor === 'users' ? 'User' : 'Group';
    if (target === 'system') return { type: `${who}System`, actorId: actorRow.id, targetId: 'system', inherited: false };
    if (target === 'projects') {
      const project = await deps.db.selectFrom('projects').select(['id', 'domain_id']).where('id', '=', p.target_id!).executeTakeFirst();
      if (!project) throw notFound('project', p.target_id!);
      return { type: `${who}Project`, actorId: actorRow.id, targetId: project.id, inherited, domainId: project.domain_id, projectId: project.id };
    }
    const domain = await deps.db.selectFrom('domains').select(['id']).where('id', '=', p.target_id!).executeTakeFirst();
    if (!domain) throw notFound('domain', p.target_id!);
    return { type: `${who}Domain`, actorId: actorRow.id, targetId: domain.id, inherited, domainId: domain.id };
  }

  const policyTarget = (g: Grant) => ({ target: { domain_id: g.domainId, project: { id: g.projectId, domain_id: g.domainId } } });
  const rule = (g: Grant, action: 'check' | 'create' | 'revoke') =>
    g.targetId === 'system' ? `identity:${action}_system_grant` : `identity:${action}_grant`;

  async function roleOf(req: FastifyRequest) {
    const id = (req.params as { role_id: string }).role_id;
    const role = await deps.db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
    if (!role) throw notFound('role', id);
    return role;
  }
  async function find(g: Grant, roleId: string) {
    return deps.db.selectFrom('assignments').selectAll().where('type', '=', g.type).where('actor_id', '=', g.actorId)
      .where('target_id', '=', g.targetId).where('role_id', '=', roleId).where('inherited', '=', g.inherited).executeTakeFirst();
  }

  function routes(prefix: string, target: TargetKind, actor: ActorKind, inherited: boolean, suffix = '') {
    const one = `${prefix}/roles/:role_id${suffix}`;
    app.put(one, async (req, reply) => {
      const g = await resolve(req, target, actor, inherited);
      authorize(deps, req, rule(g, 'create'), policyTarget(g));
      const role = await roleOf(req);
      if (!(await find(g, role.id))) {
        await deps.db.insertInto('assignments').values({ type: g.type, actor_id: g.actorId, target_id: g.targetId, role_id: role.id, inherited: g.inherited }).execute();
      }
      deps.state.changed();
      return reply.code(204).send();
    });
    const check = async (req: FastifyRequest) => {
      const g = await resolve(req, target, actor, inherited);
      authorize(deps, req, rule(g, 'check'), policyTarget(g));
      const role = await roleOf(req);
      if (!(await find(g, role.id))) throw new NotFound(`Could not find role assignment with role: ${role.id}, ${actor === 'users' ? 'user' : 'group'}: ${g.actorId}.`);
      return { g, role };
    };
    app.head(one, async (req, reply) => { await check(req); return reply.code(204).send(); });
    app.get(one, { exposeHeadRoute: false }, async (req, reply) => { await check(req); return reply.code(204).send(); });
    app.delete(one, async (req, reply) => {
      const { g, role } = await check(req);
      await deps.db.deleteFrom('assignments').where('type', '=', g.type).where('actor_id', '=', g.actorId)
        .where('target_id', '=', g.targetId).where('role_id', '=', role.id).where('inherited', '=', g.inherited).execute();
      // Tokens that relied on the assignment stop working: revoke the user's (or, for a group, every member's) tokens there.
      const users = actor === 'users' ? [g.actorId]
        : (await deps.db.selectFrom('user_group_membership').select('user_id').where('group_id', '=', g.actorId).execute()).map((r) => r.user_id);
      for (const userId of users) {
        await deps.revocations.revoke({ userId, ...(g.projectId && !inherited ? { projectId: g.projectId } : {}), roleId: role.id });
      }
      deps.state.changed();
      return reply.code(204).send();
    });
    app.get(`${prefix}/roles${suffix}`, async (req) => {
      const g = await resolve(req, target, actor, inherited);
      authorize(deps, req, rule(g, 'check'), policyTarget(g));
      const ids = (await deps.db.selectFrom('assignments').select('role_id').where('type', '=', g.type).where('actor_id', '=', g.actorId)
        .where('target_id', '=', g.targetId).where('inherited', '=', g.inherited).execute()).map((r) => r.role_id);
      const roles = ids.length ? await deps.db.selectFrom('roles').selectAll().where('id', 'in', ids).execute() : [];
      return { roles: roles.map((r) => roleView(req, r)), links: collectionLinks(req) };
    });
  }

  for (const target of ['projects', 'domains'] as const) {
    for (const actor of ['users', 'groups'] as const) {
      routes(`/v3/${target}/:target_id/${actor}/:actor_id`, target, actor, false);
      routes(`/v3/OS-INHERIT/${target}/:target_id/${actor}/:actor_id`, target, actor, true, '/inherited_to_projects');
    }
  }
  for (const actor of ['users', 'groups'] as const) routes(`/v3/system/${actor}/:actor_id`, 'system', actor, false);
}
