// /v3/users: CRUD, self-service password change, and a user's projects and groups.
import type { FastifyInstance } from 'fastify';
import { BadRequest, Unauthorized } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, callerDomainId, collectionLinks, requireDomain } from './deps.ts';
import { crud, newId, nowIso, parseJson } from '../db/crud.ts';
import type { UserRow } from '../db/tables.ts';
import { notFound } from '../domain/errors.ts';
import { hashSecret, verifySecret } from '../domain/password-hash.ts';
import { groupView, projectView, userView } from './views.ts';
import { envelope, passwordChange, userCreate, userUpdate } from './schemas/resources.ts';
import { boolFilter, nameFilters, splitExtra, storing } from './entity-input.ts';
import { deleteTrustsOf } from './cascade.ts';

const KNOWN = ['name', 'domain_id', 'enabled', 'password', 'default_project_id', 'options'] as const;

export function registerUsers(app: FastifyInstance, deps: IdentityApiDeps): void {
  const users = crud(deps.db, 'users');
  const load = async (id: string) => (await users.get(id)) ?? Promise.reject(notFound('user', id));
  const target = (u: UserRow) => ({ target: { user: { id: u.id, domain_id: u.domain_id }, domain_id: u.domain_id } });

  async function checkProject(id: unknown): Promise<void> {
    if (typeof id !== 'string') return;
    if (!(await deps.db.selectFrom('projects').select('id').where('id', '=', id).executeTakeFirst())) {
      throw new BadRequest(`Could not find project: ${id}.`);
    }
  }

  app.post('/v3/users', { schema: { body: envelope('user', userCreate) } }, async (req, reply) => {
    const { known, extra } = splitExtra((req.body as { user: Record<string, unknown> }).user, KNOWN);
    const domainId = (known.domain_id as string | undefined) ?? callerDomainId(req);
    authorize(deps, req, 'identity:create_user', { target: { user: { domain_id: domainId }, domain_id: domainId } });
    await requireDomain(deps, domainId);
    await checkProject(known.default_project_id);
    const row: UserRow = {
      id: newId(), name: known.name as string, domain_id: domainId, enabled: known.enabled !== false,
      password_hash: typeof known.password === 'string' ? await hashSecret(known.password, deps.hashCost) : null,
      default_project_id: (known.default_project_id as string | null | undefined) ?? null, password_expires_at: null,
      options: JSON.stringify(known.options ?? {}), extra: JSON.stringify(extra), created_at: nowIso(),
    };
    await storing('user', 'name', row.name, () => users.insert(row));
    return reply.code(201).send({ user: userView(req, row) });
  });

  app.get('/v3/users', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    authorize(deps, req, 'identity:list_users', { target: { domain_id: q.domain_id } });
    const rows = await users.list({ name: q.name, domain_id: q.domain_id, enabled: boolFilter(q.enabled) });
    return { users: nameFilters(rows, q).map((u) => userView(req, u)), links: collectionLinks(req) };
  });

  app.get('/v3/users/:user_id', async (req) => {
    const u = await load((req.params as { user_id: string }).user_id);
    authorize(deps, req, 'identity:get_user', target(u));
    return { user: userView(req, u) };
  });

  app.patch('/v3/users/:user_id', { schema: { body: envelope('user', userUpdate) } }, async (req) => {
    const u = await load((req.params as { user_id: string }).user_id);
    authorize(deps, req, 'identity:update_user', target(u));
    const { known, extra } = splitExtra((req.body as { user: Record<string, unknown> }).user, KNOWN);
    if (known.domain_id !== undefined && known.domain_id !== u.domain_id) throw new BadRequest('Update of `domain_id` is not allowed.');
    await checkProject(known.default_project_id);
    const patch: Partial<UserRow> = {
      ...(known.name !== undefined ? { name: known.name as string } : {}),
      ...(known.enabled !== undefined ? { enabled: known.enabled as boolean } : {}),
      ...(known.default_project_id !== undefined ? { default_project_id: known.default_project_id as string | null } : {}),
      ...(known.options !== undefined ? { options: JSON.stringify({ ...parseJson(u.options, {}), ...(known.options as object) }) } : {}),
      ...(known.password !== undefined ? { password_hash: known.password === null ? null : await hashSecret(known.password as string, deps.hashCost) } : {}),
      ...(Object.keys(extra).length ? { extra: JSON.stringify({ ...parseJson(u.extra, {}), ...extra }) } : {}),
    };
    await storing('user', 'name', String(known.name), () => users.update(u.id, patch));
    if (patch.enabled === false || patch.password_hash !== undefined) await deps.revocations.revoke({ userId: u.id });
    deps.state.changed();
    return { user: userView(req, (await users.get(u.id))!) };
  });

  app.delete('/v3/users/:user_id', async (req, reply) => {
    const u = await load((req.params as { user_id: string }).user_id);
    authorize(deps, req, 'identity:delete_user', target(u));
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('assignments').where('actor_id', '=', u.id).execute();
      await deleteTrustsOf(trx, { userIds: [u.id] });
      await trx.deleteFrom('users').where('id', '=', u.id).execute();
    });
    await deps.revocations.revoke({ userId: u.id });
    deps.state.changed();
    return reply.code(204).send();
  });

  app.post('/v3/users/:user_id/password', { schema: { body: passwordChange } }, async (req, reply) => {
    const u = await load((req.params as { user_id: string }).user_id);
    authorize(deps, req, 'identity:change_password', target(u));
    const { password, original_password } = (req.body as { user: { password: string; original_password: string } }).user;
    if (!(await verifySecret(original_password, u.password_hash))) throw new Unauthorized('The original password you provided is not correct.');
    await users.update(u.id, { password_hash: await hashSecret(password, deps.hashCost), password_expires_at: null });
    await deps.revocations.revoke({ userId: u.id });
    deps.state.changed();
    return reply.code(204).send();
  });

  app.get('/v3/users/:user_id/projects', async (req) => {
    const u = await load((req.params as { user_id: string }).user_id);
    authorize(deps, req, 'identity:list_user_projects', target(u));
    const groups = (await deps.db.selectFrom('user_group_membership').select('group_id').where('user_id', '=', u.id).execute()).map((r) => r.group_id);
    const ids = (await deps.db.selectFrom('assignments').select('target_id').where('actor_id', 'in', [u.id, ...groups])
      .where('type', 'in', ['UserProject', 'GroupProject']).execute()).map((r) => r.target_id);
    const rows = ids.length ? await deps.db.selectFrom('projects').selectAll().where('id', 'in', [...new Set(ids)]).execute() : [];
    return { projects: rows.map((p) => projectView(req, p)), links: collectionLinks(req) };
  });

  app.get('/v3/users/:user_id/groups', async (req) => {
    const u = await load((req.params as { user_id: string }).user_id);
    authorize(deps, req, 'identity:list_groups_for_user', target(u));
    const rows = await deps.db.selectFrom('groups').innerJoin('user_group_membership as m', 'm.group_id', 'groups.id')
      .selectAll('groups').where('m.user_id', '=', u.id).execute();
    return { groups: rows.map((g) => groupView(req, g)), links: collectionLinks(req) };
  });
}
