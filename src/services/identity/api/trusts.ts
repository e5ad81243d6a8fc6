// /v3/OS-TRUST/trusts: a trustor delegates some of their roles on one project to a trustee, who then obtains
// trust-scoped tokens; a trust may expire or be limited in uses, and deleting it cuts off every token it produced.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import type { Credentials } from '#lib/context.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks, selfLink } from './deps.ts';
import { newId, nowIso } from '../db/crud.ts';
import type { RoleRow, TrustRow } from '../db/tables.ts';
import { forbiddenAction, notFound } from '../domain/errors.ts';
import { hasUsesLeft, heldRoleIds, isTrustExpired, trustRoleIds } from '../provider/trusts.ts';
import { roleView, trustView } from './views.ts';
import { trustCreate } from './schemas/delegation.ts';
import { splitExtra } from './entity-input.ts';

interface TrustInput {
  trustor_user_id: string; trustee_user_id: string; impersonation: boolean; project_id?: string | null;
  remaining_uses?: number | null; expires_at?: string | null; allow_redelegation?: boolean | null;
  redelegation_count?: number | null; roles?: { id?: string; name?: string }[];
}

const KNOWN = ['trustor_user_id', 'trustee_user_id', 'impersonation', 'project_id', 'remaining_uses', 'expires_at', 'allow_redelegation', 'redelegation_count', 'roles'];
/** Attributes Keystone renders but never takes from a request; a client echoing them back must not store them as extras. */
const READ_ONLY = ['roles_links', 'deleted_at', 'redelegated_trust_id'];
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?$/i;

/** Milliseconds of an ISO 8601 time; like Keystone, a time without a zone is UTC. Undefined when it is not one. */
function parseIsoTime(text: string): number | undefined {
  if (!ISO_TIME.test(text)) return undefined;
  const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Keystone's get_unique_role_by_name: the global role of that name, else the only domain role of that name. */
function roleByName(roles: Map<string, RoleRow>, name: string): RoleRow | undefined {
  const named = [...roles.values()].filter((r) => r.name === name);
  return named.find((r) => r.domain_id === '') ?? (named.length === 1 ? named[0] : undefined);
}

export function registerTrusts(app: FastifyInstance, deps: IdentityApiDeps): void {
  const db = deps.db;
  const policyTarget = (t: { trustor_user_id?: string; trustee_user_id?: string }) =>
    ({ target: { trust: { trustor_user_id: t.trustor_user_id, trustee_user_id: t.trustee_user_id } } });

  /** Application credentials delegate one project only: as in Keystone they may neither read nor manage trusts. */
  function refuseAppCred(creds: Credentials): void {
    if (creds.applicationCredentialId) throw forbiddenAction("Using method 'application_credential' is not allowed for managing trusts");
  }

  async function rolesOf(trustId: string): Promise<RoleRow[]> {
    const all = await deps.state.roles();
    return (await trustRoleIds(db, trustId)).map((id) => all.get(id)).filter((r) => r !== undefined);
  }

  /**
   * The trust named in the path, authorized for the caller. Like Keystone it answers 404 before any policy check for
   * a trust that does not exist, is deleted, or (unless `spent` is allowed) has expired or used up its uses.
   */
  async function load(req: FastifyRequest, rule: string, opts: { spent?: boolean } = {}): Promise<TrustRow> {
    const { trust_id } = req.params as { trust_id: string };
    const trust = await db.selectFrom('trusts').selectAll().where('id', '=', trust_id).where('deleted_at', 'is', null).executeTakeFirst();
    if (!trust || (!opts.spent && (isTrustExpired(trust) || !hasUsesLeft(trust)))) throw notFound('trust', trust_id);
    refuseAppCred(authorize(deps, req, rule, policyTarget(trust)));
    return trust;
  }

  app.post('/v3/OS-TRUST/trusts', { schema: { body: trustCreate } }, async (req, reply) => {
    const body = (req.body as { trust: TrustInput & Record<string, unknown> }).trust;
    const creds = authorize(deps, req, 'identity:create_trust', policyTarget(body));
    refuseAppCred(creds);
    if (creds.trustId) throw forbiddenAction('Trust redelegation is not supported, so a trust-scoped token cannot create a trust');
    if (creds.userId !== body.trustor_user_id) throw forbiddenAction('The authenticated user should match the trustor');
    if (body.allow_redelegation === true || (body.redelegation_count ?? 0) > 0) {
      throw new BadRequest('Trust redelegation is not supported by this cloud: create the trust without allow_redelegation and redelegation_count.');
    }
    if (!body.project_id) throw new BadRequest('project_id is required: this cloud supports only project-scoped trusts.');
    if (!body.roles?.length) throw forbiddenAction('At least one role should be specified');
    let expiresAt: string | null = null;
    if (body.expires_at != null) {
      const ms = parseIsoTime(body.expires_at);
      if (ms === undefined) throw new BadRequest(`expires_at ${body.expires_at} is not an ISO 8601 time such as 2030-01-31T12:00:00Z.`);
      if (ms <= Date.now()) throw new BadRequest(`The 'expires_at' must not be before now: ${body.expires_at} has passed.`);
      expiresAt = new Date(ms).toISOString();
    }
    if (!(await db.selectFrom('users').select('id').where('id', '=', body.trustee_user_id).executeTakeFirst())) throw notFound('user', body.trustee_user_id);
    const project = await db.selectFrom('projects').select('id').where('id', '=', body.project_id).executeTakeFirst();
    if (!project) throw notFound('project', body.project_id);

    // Only roles the trustor effectively holds on the project (implied ones included) can be delegated.
    const held = new Set(await heldRoleIds(db, await deps.state.implied(), body.trustor_user_id, project.id));
    const all = await deps.state.roles();
    const roleIds = body.roles.map((ref) => {
      const role = ref.id ? all.get(ref.id) : roleByName(all, ref.name!);
      if (!role) throw notFound('role', ref.id ?? ref.name!);
      if (!held.has(role.id)) throw new NotFound(`Could not find role: ${role.id}. The trustor does not hold role ${role.name} on project ${project.id}, so cannot delegate it.`);
      return role.id;
    });

    const { extra } = splitExtra(body, [...KNOWN, ...READ_ONLY]);
    const row: TrustRow = {
      id: newId(), trustor_user_id: body.trustor_user_id, trustee_user_id: body.trustee_user_id, project_id: project.id,
      impersonation: body.impersonation, expires_at: expiresAt, remaining_uses: body.remaining_uses ?? null,
      redelegation_count: 0, deleted_at: null, extra: JSON.stringify(extra), created_at: nowIso(),
    };
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('trusts').values(row).execute();
      for (const role_id of new Set(roleIds)) await trx.insertInto('trust_roles').values({ trust_id: row.id, role_id }).execute();
    });
    return reply.code(201).send({ trust: trustView(req, row, await rolesOf(row.id)) });
  });

  app.get('/v3/OS-TRUST/trusts', async (req) => {
    const q = req.query as { trustor_user_id?: string; trustee_user_id?: string };
    const filtered = q.trustor_user_id !== undefined || q.trustee_user_id !== undefined;
    const callerId = req.ctx.credentials?.userId;
    // Unfiltered, the list is the caller's own trusts (plus everyone's for admins and readers): see the rule.
    const creds = authorize(deps, req, 'identity:list_trusts',
      policyTarget(filtered ? q : { trustor_user_id: callerId, trustee_user_id: callerId }));
    refuseAppCred(creds);
    let query = db.selectFrom('trusts').selectAll().where('deleted_at', 'is', null);
    if (q.trustor_user_id !== undefined) query = query.where('trustor_user_id', '=', q.trustor_user_id);
    if (q.trustee_user_id !== undefined) query = query.where('trustee_user_id', '=', q.trustee_user_id);
    const visible = (await query.execute()).filter((t) => deps.policy.allowed('identity:get_trust', creds, policyTarget(t)));
    return { trusts: visible.map((t) => trustView(req, t)), links: collectionLinks(req) };
  });

  app.get('/v3/OS-TRUST/trusts/:trust_id', async (req) => {
    const trust = await load(req, 'identity:get_trust');
    return { trust: trustView(req, trust, await rolesOf(trust.id)) };
  });

  // Soft delete, as Keystone: the row stays with deleted_at set, and a revocation event ends its tokens everywhere.
  app.delete('/v3/OS-TRUST/trusts/:trust_id', async (req, reply) => {
    const trust = await load(req, 'identity:delete_trust', { spent: true });
    await db.updateTable('trusts').set({ deleted_at: nowIso() }).where('id', '=', trust.id).where('deleted_at', 'is', null).execute();
    await deps.revocations.revoke({ trustId: trust.id });
    deps.state.changed();
    return reply.code(204).send();
  });

  app.get('/v3/OS-TRUST/trusts/:trust_id/roles', async (req) => {
    const trust = await load(req, 'identity:list_roles_for_trust');
    const links = { ...selfLink(req, `/v3/OS-TRUST/trusts/${trust.id}/roles`), previous: null, next: null };
    return { roles: (await rolesOf(trust.id)).map((r) => roleView(req, r)), links };
  });

  // GET and (through Fastify's HEAD route) HEAD.
  app.get('/v3/OS-TRUST/trusts/:trust_id/roles/:role_id', async (req) => {
    const trust = await load(req, 'identity:get_role_for_trust');
    const { role_id } = req.params as { role_id: string };
    const role = (await rolesOf(trust.id)).find((r) => r.id === role_id);
    if (!role) throw notFound('role', role_id);
    return { role: roleView(req, role) };
  });
}
