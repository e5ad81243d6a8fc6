// /v3/groups: CRUD and membership (PUT/HEAD/DELETE /v3/groups/{group}/users/{user}).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, callerDomainId, collectionLinks, requireDomain } from './deps.ts';
import { crud, newId, parseJson } from '../db/crud.ts';
import type { GroupRow } from '../db/tables.ts';
import { notFound } from '../domain/errors.ts';
import { groupView, userView } from './views.ts';
import { envelope, groupCreate, groupUpdate } from './schemas/resources.ts';
import { nameFilters, splitExtra, storing } from './entity-input.ts';

const KNOWN = ['name', 'domain_id', 'description'] as const;

export function registerGroups(app: FastifyInstance, deps: IdentityApiDeps): void {
  const groups = crud(deps.db, 'groups');
  const load = async (id: string) => (await groups.get(id)) ?? Promise.reject(notFound('group', id));
  const target = (g: GroupRow) => ({ target: { group: { id: g.id, domain_id: g.domain_id }, domain_id: g.domain_id } });

  app.post('/v3/groups', { schema: { body: envelope('group', groupCreate) } }, async (req, reply) => {
    const { known, extra } = splitExtra((req.body as { group: Record<string, unknown> }).group, KNOWN);
    const domainId = (known.domain_id as string | undefined) ?? callerDomainId(req);
    authorize(deps, req, 'identity:create_group', { target: { group: { domain_id: domainId }, domain_id: domainId } });
    await requireDomain(deps, domainId);
    const row: GroupRow = { id: newId(), name: known.name as string, domain_id: domainId, description: (known.description as string | null) ?? '', extra: JSON.stringify(extra) };
    await storing('group', 'name', row.name, () => groups.insert(row));
    return reply.code(201).send({ group: groupView(req, row) });
  });

  app.get('/v3/groups', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    authorize(deps, req, 'identity:list_groups', { target: { domain_id: q.domain_id } });
    return { groups: nameFilters(await groups.list({ name: q.name, domain_id: q.domain_id }), q).map((g) => groupView(req, g)), links: collectionLinks(req) };
  });

  app.get('/v3/groups/:group_id', async (req) => {
    const g = await load((req.params as { group_id: string }).group_id);
    authorize(deps, req, 'identity:get_group', target(g));
    return { group: groupView(req, g) };
  });

  app.patch('/v3/groups/:group_id', { schema: { body: envelope('group', groupUpdate) } }, async (req) => {
    const g = await load((req.params as { group_id: string }).group_id);
    authorize(deps, req, 'identity:update_group', target(g));
    const { known, extra } = splitExtra((req.body as { group: Record<string, unknown> }).group, KNOWN);
    if (known.domain_id !== undefined && known.domain_id !== g.domain_id) throw new BadRequest('Update of `domain_id` is not allowed.');
    await storing('group', 'name', String(known.name), () => groups.update(g.id, {
      ...(known.name !== undefined ? { name: known.name as string } : {}),
      ...(known.description !== undefined ? { description: (known.description as string | null) ?? '' } : {}),
      ...(Object.keys(extra).length ? { extra: JSON.stringify({ ...parseJson(g.extra, {}), ...extra }) } : {}),
    }));
    return { group: groupView(req, (await groups.get(g.id))!) };
  });

  app.delete('/v3/groups/:group_id', async (req, reply) => {
    const g = await load((req.params as { group_id: string }).group_id);
    authorize(deps, req, 'identity:delete_group', target(g));
    const members = (await deps.db.selectFrom('user_group_membership').select('user_id').where('group_id', '=', g.id).execute()).map((m) => m.user_id);
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('assignments').where('actor_id', '=', g.id).execute();
      await trx.deleteFrom('groups').where('id', '=', g.id).execute();
    });
    for (const userId of members) await deps.revocations.revoke({ userId });
    deps.state.changed();
    return reply.code(204).send();
  });

  app.get('/v3/groups/:group_id/users', async (req) => {
    const g = await load((req.params as { group_id: string }).group_id);
    authorize(deps, req, 'identity:list_users_in_group', target(g));
    const rows = await deps.db.selectFrom('users').innerJoin('user_group_membership as m', 'm.user_id', 'users.id')
      .selectAll('users').where('m.group_id', '=', g.id).execute();
    return { users: rows.map((u) => userView(req, u)), links: collectionLinks(req) };
  });

  async function member(req: FastifyRequest, rule: string) {
    const { group_id, user_id } = req.params as { group_id: string; user_id: string };
    const g = await load(group_id);
    const u = await deps.db.selectFrom('users').select('id').where('id', '=', user_id).executeTakeFirst();
    if (!u) throw notFound('user', user_id);
    authorize(deps, req, rule, target(g));
    const row = await deps.db.selectFrom('user_group_membership').selectAll().where('group_id', '=', g.id).where('user_id', '=', u.id).executeTakeFirst();
    return { groupId: g.id, userId: u.id, isMember: Boolean(row) };
  }
  app.put('/v3/groups/:group_id/users/:user_id', async (req, reply) => {
    const m = await member(req, 'identity:add_user_to_group');
    if (!m.isMember) await deps.db.insertInto('user_group_membership').values({ user_id: m.userId, group_id: m.groupId }).execute();
    deps.state.changed();
    return reply.code(204).send();
  });
  app.head('/v3/groups/:group_id/users/:user_id', async (req, reply) => {
    const m = await member(req, 'identity:check_user_in_group');
    if (!m.isMember) throw new NotFound(`User ${m.userId} is not a member of group ${m.groupId}.`);
    return reply.code(204).send();
  });
  app.delete('/v3/groups/:group_id/users/:user_id', async (req, reply) => {
    const m = await member(req, 'identity:remove_user_from_group');
    if (!m.isMember) throw notFound('membership', `${m.userId} in ${m.groupId}`);
    await deps.db.deleteFrom('user_group_membership').where('group_id', '=', m.groupId).where('user_id', '=', m.userId).execute();
    await deps.revocations.revoke({ userId: m.userId });
    deps.state.changed();
    return reply.code(204).send();
  });
}
