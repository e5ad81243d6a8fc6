// /v3/roles and implied roles (/v3/roles/{prior}/implies/{implied}).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks, requireDomain, selfLink } from './deps.ts';
import { crud, newId, parseJson } from '../db/crud.ts';
import type { RoleRow } from '../db/tables.ts';
import { notFound } from '../domain/errors.ts';
import { roleView } from './views.ts';
import { envelope, roleCreate, roleUpdate } from './schemas/resources.ts';
import { nameFilters, storing } from './entity-input.ts';
import { expandImplied, loadImpliedMap } from '../provider/effective-roles.ts';

/** Keystone's resource option: an immutable role cannot be deleted. */
const isImmutable = (r: RoleRow): boolean => parseJson<{ immutable?: boolean }>(r.options, {}).immutable === true;

export function registerRoles(app: FastifyInstance, deps: IdentityApiDeps): void {
  const roles = crud(deps.db, 'roles');
  const load = async (id: string) => (await roles.get(id)) ?? Promise.reject(notFound('role', id));

  app.post('/v3/roles', { schema: { body: envelope('role', roleCreate) } }, async (req, reply) => {
    authorize(deps, req, 'identity:create_role');
    const body = (req.body as { role: { name: string; domain_id?: string | null; description?: string | null; options?: object } }).role;
    if (body.domain_id) await requireDomain(deps, body.domain_id);
    const row: RoleRow = { id: newId(), name: body.name, domain_id: body.domain_id ?? '', description: body.description ?? '', options: JSON.stringify(body.options ?? {}) };
    await storing('role', 'name', row.name, () => roles.insert(row));
    deps.state.changed();
    return reply.code(201).send({ role: roleView(req, row) });
  });

  app.get('/v3/roles', async (req) => {
    authorize(deps, req, 'identity:list_roles');
    const q = req.query as Record<string, string | undefined>;
    return { roles: nameFilters(await roles.list({ name: q.name, domain_id: q.domain_id ?? '' }), q).map((r) => roleView(req, r)), links: collectionLinks(req) };
  });

  app.get('/v3/roles/:role_id', async (req) => {
    authorize(deps, req, 'identity:get_role');
    return { role: roleView(req, await load((req.params as { role_id: string }).role_id)) };
  });

  app.patch('/v3/roles/:role_id', { schema: { body: envelope('role', roleUpdate) } }, async (req) => {
    authorize(deps, req, 'identity:update_role');
    const r = await load((req.params as { role_id: string }).role_id);
    const body = (req.body as { role: { name?: string; description?: string | null; options?: object } }).role;
    await storing('role', 'name', String(body.name), () => roles.update(r.id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.description !== undefined ? { description: body.description ?? '' } : {}),
      ...(body.options !== undefined ? { options: JSON.stringify(body.options) } : {}),
    }));
    deps.state.changed();
    return { role: roleView(req, (await roles.get(r.id))!) };
  });

  app.delete('/v3/roles/:role_id', async (req, reply) => {
    authorize(deps, req, 'identity:delete_role');
    const r = await load((req.params as { role_id: string }).role_id);
    if (isImmutable(r)) {
      throw new Forbidden(`Role ${r.name} is immutable and cannot be deleted.`);
    }
    await deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('assignments').where('role_id', '=', r.id).execute();
      await trx.deleteFrom('implied_roles').where((eb) => eb.or([eb('prior_role_id', '=', r.id), eb('implied_role_id', '=', r.id)])).execute();
      await trx.deleteFrom('roles').where('id', '=', r.id).execute();
    });
    await deps.revocations.revoke({ roleId: r.id });
    deps.state.changed();
    return reply.code(204).send();
  });

  // Implied roles.
  const pair = async (req: FastifyRequest) => {
    const { prior_role_id, implied_role_id } = req.params as { prior_role_id: string; implied_role_id: string };
    return { prior: await load(prior_role_id), implied: await load(implied_role_id) };
  };
  const ref = (req: FastifyRequest, r: RoleRow) => ({ id: r.id, name: r.name, links: selfLink(req, `/v3/roles/${r.id}`) });
  const inference = (req: FastifyRequest, prior: RoleRow, implied: RoleRow) =>
    ({ role_inference: { prior_role: ref(req, prior), implies: ref(req, implied) }, links: selfLink(req, `/v3/roles/${prior.id}/implies/${implied.id}`) });

  app.put('/v3/roles/:prior_role_id/implies/:implied_role_id', async (req, reply) => {
    authorize(deps, req, 'identity:create_implied_role');
    const { prior, implied } = await pair(req);
    if (prior.id === implied.id) throw new BadRequest('A role cannot imply itself.');
    if (expandImplied([implied.id], await loadImpliedMap(deps.db)).includes(prior.id)) {
      throw new BadRequest(`Implied role ${implied.id} already implies ${prior.id}: a cycle is not allowed.`);
    }
    await storing('implied role', 'prior_role_id', prior.id, () => deps.db.insertInto('implied_roles').values({ prior_role_id: prior.id, implied_role_id: implied.id }).execute());
    deps.state.changed();
    return reply.code(201).send(inference(req, prior, implied));
  });
  const existing = async (req: FastifyRequest) => {
    const { prior, implied } = await pair(req);
    const row = await deps.db.selectFrom('implied_roles').selectAll().where('prior_role_id', '=', prior.id).where('implied_role_id', '=', implied.id).executeTakeFirst();
    if (!row) throw notFound('implied role', `${prior.id} implies ${implied.id}`);
    return { prior, implied };
  };
  app.get('/v3/roles/:prior_role_id/implies/:implied_role_id', async (req) => {
    authorize(deps, req, 'identity:list_implied_roles');
    const { prior, implied } = await existing(req);
    return inference(req, prior, implied);
  });
  app.delete('/v3/roles/:prior_role_id/implies/:implied_role_id', async (req, reply) => {
    authorize(deps, req, 'identity:delete_implied_role');
    const { prior, implied } = await existing(req);
    await deps.db.deleteFrom('implied_roles').where('prior_role_id', '=', prior.id).where('implied_role_id', '=', implied.id).execute();
    deps.state.changed();
    return reply.code(204).send();
  });
  app.get('/v3/roles/:prior_role_id/implies', async (req) => {
    authorize(deps, req, 'identity:list_implied_roles');
    const prior = await load((req.params as { prior_role_id: string }).prior_role_id);
    const ids = (await deps.db.selectFrom('implied_roles').select('implied_role_id').where('prior_role_id', '=', prior.id).execute()).map((r) => r.implied_role_id);
    const implied = ids.length ? await deps.db.selectFrom('roles').selectAll().where('id', 'in', ids).execute() : [];
    return { role_inference: { prior_role: ref(req, prior), implies: implied.map((r) => ref(req, r)) }, links: selfLink(req, `/v3/roles/${prior.id}/implies`) };
  });
  app.get('/v3/role_inferences', async (req) => {
    authorize(deps, req, 'identity:list_implied_roles');
    const all = await deps.db.selectFrom('implied_roles').selectAll().execute();
    const byId = await deps.state.roles();
    const priors = [...new Set(all.map((r) => r.prior_role_id))];
    return {
      role_inferences: priors.map((p) => ({
        prior_role: ref(req, byId.get(p)!),
        implies: all.filter((r) => r.prior_role_id === p).map((r) => ref(req, byId.get(r.implied_role_id)!)),
      })),
      links: collectionLinks(req),
    };
  });
}
