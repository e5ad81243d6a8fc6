// The request context: who is acting and which request this is, passed explicitly to domain and RPC code.
import { randomUUID } from 'node:crypto';
import type { Logger } from './log.ts';

export type Scope =
  | { kind: 'project'; projectId: string; projectDomainId: string }
  | { kind: 'domain'; domainId: string }
  | { kind: 'system' }
  | { kind: 'unscoped' };

/** The identity behind a validated token, as the auth middleware exposes it. */
export interface Credentials {
  userId: string;
  userName?: string;
  userDomainId: string;
  scope: Scope;
  roles: string[];
  roleIds?: string[];
  auditIds?: string[];
  expiresAt: string;
  isAdminProject?: boolean;
  /** Set when a valid X-Service-Token accompanied the user token. */
  service?: { userId: string; roles: string[] };
  trustId?: string;
  applicationCredentialId?: string;
}

export interface RequestContext {
  requestId: string;
  globalRequestId: string;
  log: Logger;
  credentials?: Credentials;
  /** The raw user token, kept only so service-to-service calls can forward it. */
  authToken?: string;
}

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A global request id from a client header is honoured only when it has OpenStack's format. */
export function acceptGlobalRequestId(header: unknown): string | undefined {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : undefined;
}

export function projectIdOf(ctx: RequestContext): string | undefined {
  const scope = ctx.credentials?.scope;
  return scope?.kind === 'project' ? scope.projectId : undefined;
}
