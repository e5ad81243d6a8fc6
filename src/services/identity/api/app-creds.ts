// /v3/users/{user_id}/application_credentials: a user delegates some of their roles on one project to a secret.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks } from './deps.ts';
import { newId, nowIso } from '../db/crud.ts';
import type { AppCredRow, RoleRow } from '../db/tables.ts';
import { notFound } from '../domain/errors.ts';
import { hashSecret } from '../domain/password-hash.ts';
import { appCredView } from './views.ts';
import { appCredCreate } from './schemas/resources.ts';
import { storing } from './entity-input.ts';

interface CreateBody {
  application_credential: {
    name: string; description?: string | null; secret?: string | null; expires_at?: string | null;
    roles?: { id?: string; name?: string }[]; unrestricted?: boolean | null;
  };
}

export function registerAppCreds(app: FastifyInstance, deps: IdentityApiDeps): void {
  const db = deps.db;
  const target = (userId: string) => ({ target: { user: { id: userId } } });
  /**
   * As Keystone: a trust-scoped token must not reach application credentials, or it could mint one that outlives
   * the trust (its expiry, uses, deletion) and carries no trace of the delegation.
   */
  const authorizeUndelegated = (req: FastifyRequest, rule: string, userId: string) => {
    const creds = authorize(deps, req, rule, target(userId));
    if (creds.trustId) throw new Forbidden('Cannot manage application credentials with a token issued via delegation.');
    return creds;
  };

  async function rolesOf(appCredId: string): Promise<RoleRow[]> {
    const ids = (await db.selectFrom('application_credential_roles').select('role_id').where('application_credential_id', '=', appCredId).execute()).map((r) => r.role_id);
    const all = await deps.state.roles();
    return ids.map((id) => all.get(id)).filter((r) => r !== undefined);
  }
  async function load(req: FastifyRequest, rule: string): Promise<AppCredRow> {
    const { user_id, app_cred_id } = req.params as { user_id: string; app_cred_id: string };
    authorizeUndelegated(req, rule, user_id);
    const row = await db.selectFrom('application_credentials').selectAll().where('id', '=', app_cred_id).where('user_id', '=', user_id).executeTakeFirst();
    if (!row) throw notFound('application credential', app_cred_id);
    return row;
  }

  app.post('/v3/users/:user_id/application_credentials', { schema: { body: appCredCreate } }, async (req, reply) => {
    const { user_id } = req.params as { user_id: string };
    const creds = authorizeUndelegated(req, 'identity:create_application_credential', user_id);
    if (creds.scope.kind !== 'project') throw new Forbidden('Application credentials can only be created with a project-scoped token.');
    if (creds.applicationCredentialId) throw new Forbidden('Using an application credential to create another one is not allowed.');
    const body = (req.body as CreateBody).application_credential;
    if (body.expires_at != null && !(Date.parse(body.expires_at) > Date.now())) {
      throw new BadRequest('expires_at must be a valid ISO 8601 time in the future.');
    }
    const held = new Map((await deps.state.roles()).entries());
    const tokenRoleIds = new Set(creds.roleIds ?? []);
    let roleIds = [...tokenRoleIds];
    if (body.roles?.length) {
      roleIds = body.roles.map((ref) => {
        const role = ref.id ? held.get(ref.id) : [...held.values()].find((r) => r.name === ref.name && r.domain_id === '');
        // As Keystone: an unknown role is 404, a role the token does not carry is a validation error (400).
        if (!role) throw notFound('role', String(ref.id ?? ref.name));
        if (!tokenRoleIds.has(role.id)) throw new BadRequest(`Cannot create an application credential with unassigned role ${ref.id ?? ref.name}: you do not hold it on this project.`);
        return role.id;
      });
    }
    const secret = body.secret ?? randomBytes(48).toString('base64url');
    const row: AppCredRow = {
      id: newId(), name: body.name, user_id, project_id: creds.scope.projectId, secret_hash: await hashSecret(secret, deps.hashCost),
      description: body.description ?? '', expires_at: body.expires_at ? new Date(body.expires_at).toISOString() : null,
      unrestricted: body.unrestricted === true, created_at: nowIso(),
    };
    await storing('application credential', 'name', row.name, () => db.transaction().execute(async (trx) => {
      await trx.insertInto('application_credentials').values(row).execute();
      for (const role_id of new Set(roleIds)) await trx.insertInto('application_credential_roles').values({ application_credential_id: row.id, role_id }).execute();
    }));
    return reply.code(201).send({ application_credential: { ...appCredView(req, row, await rolesOf(row.id)), secret } });
  });

  app.get('/v3/users/:user_id/application_credentials', async (req) => {
    const { user_id } = req.params as { user_id: string };
    authorizeUndelegated(req, 'identity:list_application_credentials', user_id);
    const name = (req.query as { name?: string }).name;
    let q = db.selectFrom('application_credentials').selectAll().where('user_id', '=', user_id);
    if (name !== undefined) q = q.where('name', '=', name);
    const rows = await q.execute();
    const views = [];
    for (const r of rows) views.push(appCredView(req, r, await rolesOf(r.id)));
    return { application_credentials: views, links: collectionLinks(req) };
  });

  app.get('/v3/users/:user_id/application_credentials/:app_cred_id', async (req) => {
    const row = await load(req, 'identity:get_application_credential');
    return { application_credential: appCredView(req, row, await rolesOf(row.id)) };
  });

  app.delete('/v3/users/:user_id/application_credentials/:app_cred_id', async (req, reply) => {
    const row = await load(req, 'identity:delete_application_credential');
    const creds = req.ctx.credentials!;
    if (creds.applicationCredentialId === row.id) throw new Forbidden('An application credential cannot delete itself.');
    await db.deleteFrom('application_credentials').where('id', '=', row.id).execute();
    await deps.revocations.revoke({ appCredId: row.id });
    deps.state.changed();
    return reply.code(204).send();
  });
}
