// The typed REST client of Identity: how every other service gets its own token and validates its callers'.
import { RemoteError, ServiceUnavailable } from '#lib/errors.ts';
import type { Credentials } from '#lib/context.ts';
import type { TokenValidator } from '#lib/auth/middleware.ts';
import type { TokenDocument } from './api-types.ts';

export interface PasswordAuth {
  userName: string;
  userDomainName?: string;
  password: string;
  projectName: string;
  projectDomainName?: string;
}

export interface IdentityClient {
  issueToken(auth: PasswordAuth): Promise<{ token: string; document: TokenDocument }>;
  /** Validates `subject` with the caller's token; rejects with a RemoteError (404) when it is not valid. */
  validateToken(subject: string, callerToken: string, globalRequestId?: string): Promise<TokenDocument>;
  /** Revocation events recorded at or after `since` (GET /v3/OS-REVOKE/events). */
  revocationEvents(since: Date, callerToken: string): Promise<{ revoked_at: string }[]>;
}

/** `authUrl` is the Identity v3 root, e.g. http://127.0.0.1:5000/v3. */
export function createIdentityClient(opts: { authUrl: string; timeoutMs?: number }): IdentityClient {
  const base = opts.authUrl.replace(/\/+$/, '');
  async function request(method: string, path: string, init: { headers?: Record<string, string>; body?: unknown }) {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
    } catch (err) {
      throw new ServiceUnavailable(`Identity at ${base} is unreachable: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    if (!res.ok) throw new RemoteError(res.status, 'IdentityError', body?.error?.message ?? `Identity answered ${res.status}`);
    return { res, body };
  }
  return {
    async issueToken(a) {
      const { res, body } = await request('POST', '/auth/tokens', {
        body: { auth: {
          identity: { methods: ['password'], password: { user: { name: a.userName, domain: { name: a.userDomainName ?? 'Default' }, password: a.password } } },
          scope: { project: { name: a.projectName, domain: { name: a.projectDomainName ?? 'Default' } } },
        } },
      });
      return { token: res.headers.get('x-subject-token') ?? '', document: (body as { token: TokenDocument }).token };
    },
    async validateToken(subject, callerToken, globalRequestId) {
      const headers: Record<string, string> = { 'x-auth-token': callerToken, 'x-subject-token': subject };
      if (globalRequestId) headers['x-openstack-request-id'] = globalRequestId;
      const { body } = await request('GET', '/auth/tokens?nocatalog', { headers });
      return (body as { token: TokenDocument }).token;
    },
    async revocationEvents(since, callerToken) {
      const { body } = await request('GET', `/OS-REVOKE/events?since=${encodeURIComponent(since.toISOString())}`, { headers: { 'x-auth-token': callerToken } });
      return (body as { events: { revoked_at: string }[] }).events;
    },
  };
}

/**
 * Polls Identity's revocation events and calls onRevoked when new ones appear, so a service's auth middleware can
 * drop cached validations (keystonemiddleware's revocation check, done with the OS-REVOKE API). Returns a stop function.
 */
export function watchRevocations(opts: {
  client: IdentityClient; session: { token(): Promise<string> }; intervalMs: number; onRevoked: () => void; onError?: (err: unknown) => void;
}): () => void {
  let since = new Date();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const checkedAt = new Date();
      const events = await opts.client.revocationEvents(since, await opts.session.token());
      if (events.length > 0) opts.onRevoked();
      since = new Date(Math.max(checkedAt.getTime() - 1000, ...events.map((e) => Date.parse(e.revoked_at) + 1)));
    } catch (err) {
      opts.onError?.(err);
    } finally {
      busy = false;
    }
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

export interface ServiceSession {
  token(): Promise<string>;
  /**
   * The URL of a service in the catalog of this session's token (interface `internal` preferred, then `public`),
   * as OpenStack services find each other; undefined when the catalog has no such service.
   */
  endpoint(type: string): Promise<string | undefined>;
}

/** A service's own token, fetched on first use and renewed five minutes before it expires. */
export function createServiceSession(client: IdentityClient, auth: PasswordAuth): ServiceSession {
  let current: Promise<{ token: string; expiresAt: number; document: TokenDocument }> | undefined;
  async function session() {
    const cached = await current?.catch(() => undefined);
    if (cached && cached.expiresAt - Date.now() >= 5 * 60_000) return cached;
    current = client.issueToken(auth).then((r) => ({ token: r.token, expiresAt: Date.parse(r.document.expires_at), document: r.document }));
    return current;
  }
  return {
    async token() {
      return (await session()).token;
    },
    async endpoint(type) {
      const entry = (await session()).document.catalog?.find((s) => s.type === type);
      const pick = (iface: string) => entry?.endpoints.find((e) => e.interface === iface)?.url;
      return pick('internal') ?? pick('public');
    },
  };
}

export function credentialsFromDocument(doc: TokenDocument): Credentials {
  const scope: Credentials['scope'] = doc.project ? { kind: 'project', projectId: doc.project.id, projectDomainId: doc.project.domain.id }
    : doc.domain ? { kind: 'domain', domainId: doc.domain.id } : doc.system ? { kind: 'system' } : { kind: 'unscoped' };
  return {
    userId: doc.user.id, userName: doc.user.name, userDomainId: doc.user.domain.id, scope,
    roles: (doc.roles ?? []).map((r) => r.name), roleIds: (doc.roles ?? []).map((r) => r.id),
    auditIds: doc.audit_ids, expiresAt: doc.expires_at,
    applicationCredentialId: doc.application_credential?.id, trustId: doc['OS-TRUST:trust']?.id,
  };
}

/** The auth middleware's validator for services other than Identity: validate with our own service token. */
export function createRemoteTokenValidator(client: IdentityClient, session: Pick<ServiceSession, 'token'>): TokenValidator {
  return { validate: async (token, globalRequestId) => credentialsFromDocument(await client.validateToken(token, await session.token(), globalRequestId)) };
}
