// Issues and validates tokens: authenticate, resolve the scope and its roles, encrypt; validation re-derives and caches.
import { randomBytes } from 'node:crypto';
import { hashSecret } from '../domain/password-hash.ts';
import type { HashCost } from '../domain/password-hash.ts';
import type { AppCredRow, DomainRow, IdentityDb, TrustRow, UserRow } from '../db/tables.ts';
import { asBool } from '../db/crud.ts';
import { encryptToken, decryptToken } from '../domain/token-format.ts';
import type { TokenPayload, TokenScope } from '../domain/token-format.ts';
import type { KeyRing } from '../domain/key-repository.ts';
import type { TokenFacts } from '../domain/revocation.ts';
import { Forbidden, NotFound, Unauthorized } from '#lib/errors.ts';
import type { Credentials } from '#lib/context.ts';
import type { IdentityState } from './identity-state.ts';
import type { RevocationList } from './revocation-list.ts';
import { assignedRoleIds, expandImplied, projectLineage } from './effective-roles.ts';
import { authenticateAppCred, authenticatePassword } from './authenticate.ts';
import type { AuthIdentity, IdentityRef } from './authenticate.ts';
import { buildTokenBody } from './token-body.ts';
import type { TokenBody, TokenTrust } from './token-body.ts';
import { consumeTrustUse, delegatedRoleIds, findLiveTrust, hasUsesLeft } from './trusts.ts';

export interface ScopeRequest {
  project?: IdentityRef;
  domain?: { id?: string; name?: string };
  system?: { all?: boolean };
  'OS-TRUST:trust'?: { id: string };
}

export interface ValidatedToken {
  payload: TokenPayload;
  body: TokenBody;
  credentials: Credentials;
  facts: TokenFacts;
}

export interface TokenProvider {
  issue(identity: AuthIdentity, scope: ScopeRequest | 'unscoped' | undefined): Promise<{ token: string; validated: ValidatedToken }>;
  /** Throws 404 for any token that is not (or no longer) valid. */
  validate(token: string): Promise<ValidatedToken>;
  revoke(token: string): Promise<void>;
}

export interface TokenProviderDeps {
  db: IdentityDb;
  keys: () => KeyRing;
  state: IdentityState;
  revocations: RevocationList;
  tokenLifetimeSeconds: number;
  /** Cost of new password hashes; the decoy checked for unknown users is made with it. */
  hashCost: HashCost;
}

const invalid = (): NotFound => new NotFound('Could not recognize Fernet token');
const auditId = (): string => randomBytes(16).toString('base64url').slice(0, 22);

export function createTokenProvider(deps: TokenProviderDeps): TokenProvider {
  const decoyHash = hashSecret(randomBytes(16).toString('hex'), deps.hashCost);
  const { db, state, revocations } = deps;
  const cache = new Map<string, { v: ValidatedToken; generation: number }>();

  async function resolveScope(user: UserRow, scope: ScopeRequest | 'unscoped' | undefined): Promise<TokenScope> {
    if (scope === 'unscoped') return { kind: 'unscoped' };
    if (!scope || Object.keys(scope).length === 0) {
      // Keystone falls back to the default project when the user still has a role there.
      if (user.default_project_id) {
        const roles = await assignedRoleIds(db, user.id, { kind: 'project', id: user.default_project_id });
        if (roles.length > 0) return { kind: 'project', id: user.default_project_id };
      }
      return { kind: 'unscoped' };
    }
    if (Object.keys(scope).length > 1) throw new Unauthorized('Specify only one of project, domain, system or OS-TRUST:trust scope.');
    if (scope.system) return { kind: 'system' };
    if (scope.domain) {
      const d = scope.domain.id
        ? await db.selectFrom('domains').select('id').where('id', '=', scope.domain.id).executeTakeFirst()
        : await db.selectFrom('domains').select('id').where('name', '=', scope.domain.name ?? '').executeTakeFirst();
      if (!d) throw new Unauthorized(`Could not find domain: ${scope.domain.id ?? scope.domain.name}.`);
      return { kind: 'domain', id: d.id };
    }
    const p = scope.project!;
    let projectId = p.id;
    if (!projectId) {
      const domainId = p.domain?.id ?? (await db.selectFrom('domains').select('id').where('name', '=', p.domain?.name ?? '').executeTakeFirst())?.id;
      projectId = domainId ? (await db.selectFrom('projects').select('id').where('domain_id', '=', domainId).where('name', '=', p.name ?? '').executeTakeFirst())?.id : undefined;
    }
    if (!projectId) throw new Unauthorized(`Could not find project: ${p.id ?? p.name}.`);
    return { kind: 'project', id: projectId };
  }

  /** The user and their domain, both enabled; throws 404 otherwise. */
  async function activeUser(userId: string): Promise<{ user: UserRow; domain: DomainRow }> {
    const user = await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    if (!user || !asBool(user.enabled)) throw invalid();
    const domain = await db.selectFrom('domains').selectAll().where('id', '=', user.domain_id).executeTakeFirst();
    if (!domain || !asBool(domain.enabled)) throw invalid();
    return { user, domain };
  }

  /** Re-derives everything a token stands for from the current database state; throws 404 if it no longer holds. */
  async function derive(payload: TokenPayload): Promise<ValidatedToken> {
    if (payload.expiresAt <= Date.now()) throw invalid();
    // For a trust-scoped token payload.userId is the trustee, who authenticated; the token acts as the trustor
    // instead when the trust allows impersonation.
    const authenticated = await activeUser(payload.userId);
    let trust: TrustRow | undefined;
    let tokenTrust: TokenTrust | undefined;
    let acting = authenticated;
    if (payload.trustId) {
      trust = await findLiveTrust(db, payload.trustId);
      if (!trust || trust.trustee_user_id !== payload.userId) throw invalid();
      if (payload.scope.kind !== 'project' || payload.scope.id !== trust.project_id) throw invalid();
      const trustor = await activeUser(trust.trustor_user_id);
      const impersonation = asBool(trust.impersonation);
      if (impersonation) acting = trustor;
      tokenTrust = { id: trust.id, impersonation, trustorId: trust.trustor_user_id, trusteeId: trust.trustee_user_id };
    }
    const { user, domain: userDomain } = acting;
    let appCred: AppCredRow | undefined;
    const roles = await state.roles();
    let roleIds: string[] = [];
    let project, projectDomain, domain;
    const domainIds: string[] = [];
    const scope = payload.scope;
    if (scope.kind === 'project') {
      project = await db.selectFrom('projects').selectAll().where('id', '=', scope.id).executeTakeFirst();
      if (!project || !asBool(project.enabled)) throw invalid();
      projectDomain = await db.selectFrom('domains').selectAll().where('id', '=', project.domain_id).executeTakeFirst();
      if (!projectDomain || !asBool(projectDomain.enabled)) throw invalid();
      domainIds.push(project.domain_id);
    } else if (scope.kind === 'domain') {
      domain = await db.selectFrom('domains').selectAll().where('id', '=', scope.id).executeTakeFirst();
      if (!domain || !asBool(domain.enabled)) throw invalid();
      domainIds.push(domain.id);
    }
    if (trust) {
      roleIds = await delegatedRoleIds(db, await state.implied(), trust);
      if (roleIds.length === 0) throw invalid();
    } else if (scope.kind !== 'unscoped') {
      roleIds = expandImplied(await assignedRoleIds(db, user.id, scope), await state.implied());
      if (payload.appCredId) {
        appCred = await db.selectFrom('application_credentials').selectAll().where('id', '=', payload.appCredId).executeTakeFirst();
        if (!appCred) throw invalid();
        const granted = (await db.selectFrom('application_credential_roles').select('role_id').where('application_credential_id', '=', appCred.id).execute()).map((r) => r.role_id);
        const allowed = new Set(expandImplied(granted, await state.implied()));
        roleIds = roleIds.filter((r) => allowed.has(r));
      }
      if (roleIds.length === 0) throw invalid();
    }
    const facts: TokenFacts = {
      userId: user.id, projectId: project?.id, domainIds, roleIds, auditId: payload.auditIds[0],
      auditChainId: payload.auditIds[1] ?? payload.auditIds[0], appCredId: payload.appCredId, trustId: payload.trustId,
      trustorId: trust?.trustor_user_id, trusteeId: trust?.trustee_user_id, issuedAt: payload.issuedAt,
    };
    const roleRows = roleIds.map((id) => roles.get(id)).filter((r) => r !== undefined);
    const body = buildTokenBody({ payload, user, userDomain, project, projectDomain, domain, roles: roleRows, catalog: await state.catalog(), trust: tokenTrust, appCred });
    const credentials: Credentials = {
      userId: user.id, userName: user.name, userDomainId: user.domain_id,
      scope: scope.kind === 'project' ? { kind: 'project', projectId: scope.id, projectDomainId: project!.domain_id }
        : scope.kind === 'domain' ? { kind: 'domain', domainId: scope.id } : scope.kind === 'system' ? { kind: 'system' } : { kind: 'unscoped' },
      roles: roleRows.map((r) => r.name), roleIds, auditIds: payload.auditIds,
      expiresAt: new Date(payload.expiresAt).toISOString(), applicationCredentialId: payload.appCredId, trustId: payload.trustId,
    };
    return { payload, body, credentials, facts };
  }

  async function validate(token: string): Promise<ValidatedToken> {
    const hit = cache.get(token);
    let v: ValidatedToken;
    if (hit && hit.generation === state.generation()) {
      v = hit.v;
      if (v.payload.expiresAt <= Date.now()) { cache.delete(token); throw invalid(); }
    } else {
      const payload = decryptToken(deps.keys(), token);
      if (!payload) throw invalid();
      v = await derive(payload);
      if (cache.size >= 50_000) cache.clear();
      cache.set(token, { v, generation: state.generation() });
    }
    if (await revocations.isRevoked(v.facts)) { cache.delete(token); throw invalid(); }
    return v;
  }

  /** The trust a token request names; only its trustee may use it, and only while it has uses left. */
  async function trustFor(user: UserRow, scope: ScopeRequest, trustId: string): Promise<TrustRow> {
    if (Object.keys(scope).length > 1) throw new Unauthorized('Specify only one of project, domain, system or OS-TRUST:trust scope.');
    const trust = await findLiveTrust(db, trustId);
    if (!trust || !trust.project_id) throw new NotFound(`Could not find trust: ${trustId}.`);
    if (trust.trustee_user_id !== user.id) throw new Forbidden('User is not a trustee.');
    if (!hasUsesLeft(trust)) throw new Unauthorized(`Trust ${trustId} has no remaining uses.`);
    return trust;
  }

  return {
    async issue(identity, scopeRequest) {
      const methods = identity.methods;
      let user: UserRow;
      let fromToken: TokenPayload | undefined;
      let appCredId: string | undefined;
      let expiresAt = Date.now() + deps.tokenLifetimeSeconds * 1000;
      let scope: TokenScope = { kind: 'unscoped' };
      const trustRequest = scopeRequest && scopeRequest !== 'unscoped' ? scopeRequest['OS-TRUST:trust'] : undefined;
      let trust: TrustRow | undefined;
      if (methods.includes('application_credential')) {
        if (!identity.application_credential) throw new Unauthorized('Expecting to find application_credential in identity.');
        const r = await authenticateAppCred(db, identity.application_credential);
        user = r.user;
        appCredId = r.appCred.id;
        if (r.appCred.expires_at) expiresAt = Math.min(expiresAt, Date.parse(r.appCred.expires_at));
        if (scopeRequest && scopeRequest !== 'unscoped' && Object.keys(scopeRequest).length > 0) {
          throw new Unauthorized('Application credentials cannot request a scope.');
        }
        scope = { kind: 'project', id: r.appCred.project_id };
      } else if (methods.includes('password')) {
        if (!identity.password) throw new Unauthorized('Expecting to find password in identity.');
        user = await authenticatePassword(db, identity.password, await decoyHash);
        if (!trustRequest) scope = await resolveScope(user, scopeRequest);
      } else if (methods.includes('token')) {
        if (!identity.token) throw new Unauthorized('Expecting to find token in identity.');
        const original = await validate(identity.token.id).catch(() => { throw new Unauthorized('The request you have made requires authentication.'); });
        if (original.payload.appCredId) throw new Forbidden('Application credential tokens cannot be used to obtain other tokens.');
        // A delegated token must not mint others (Keystone: no elevation of privilege through rescoping).
        if (original.payload.trustId) throw new Forbidden('Using trust-scoped token to create another token. Create a new trust-scoped token instead.');
        fromToken = original.payload;
        expiresAt = fromToken.expiresAt;
        user = (await db.selectFrom('users').selectAll().where('id', '=', fromToken.userId).executeTakeFirst())!;
        if (!trustRequest) {
          scope = await resolveScope(user, scopeRequest);
          if (!scopeRequest && fromToken.scope.kind !== 'unscoped') scope = fromToken.scope;
        }
      } else {
        throw new Unauthorized(`Attempted to authenticate with an unsupported method: ${methods.join(', ')}.`);
      }
      if (trustRequest) {
        trust = await trustFor(user, scopeRequest as ScopeRequest, trustRequest.id);
        scope = { kind: 'project', id: trust.project_id! };
        if (trust.expires_at) expiresAt = Math.min(expiresAt, Date.parse(trust.expires_at));
      }
      const own = auditId();
      const payload: TokenPayload = {
        userId: user.id, methods: [...new Set(methods)], scope, issuedAt: Date.now(), expiresAt,
        auditIds: fromToken ? [own, fromToken.auditIds[1] ?? fromToken.auditIds[0]] : [own],
        ...(appCredId ? { appCredId } : {}), ...(trust ? { trustId: trust.id } : {}),
      };
      let validated: ValidatedToken;
      try {
        validated = await derive(payload);
      } catch (err) {
        if (!(err instanceof NotFound)) throw err;
        if (trust) throw new Unauthorized(`Trust ${trust.id} grants nothing now: the trustor no longer holds any of its roles on project ${trust.project_id}, or the trustor, trustee or project is disabled.`);
        if (scope.kind === 'project') throw new Unauthorized(`User ${user.id} has no access to project ${scope.id}`);
        if (scope.kind === 'domain') throw new Unauthorized(`User ${user.id} has no access to domain ${scope.id}`);
        if (scope.kind === 'system') throw new Unauthorized(`User ${user.id} has no access to the system`);
        throw new Unauthorized('The request you have made requires authentication.');
      }
      // A use is taken only once the token is known to be valid, as Keystone does; the conditional update is what
      // keeps concurrent requests from overspending.
      if (trust && !(await consumeTrustUse(db, trust))) throw new Unauthorized(`Trust ${trust.id} has no remaining uses.`);
      return { token: encryptToken(deps.keys(), payload), validated };
    },
    validate,
    async revoke(token) {
      const v = await validate(token);
      await revocations.revoke({ auditId: v.payload.auditIds[0] });
      cache.delete(token);
    },
  };
}

export { projectLineage };
