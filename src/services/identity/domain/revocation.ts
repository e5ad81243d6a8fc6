// Whether a token is revoked by an event: every field the event sets must match the token, and the token must be older.

export interface RevocationEvent {
  userId?: string | null;
  projectId?: string | null;
  domainId?: string | null;
  roleId?: string | null;
  trustId?: string | null;
  auditId?: string | null;
  auditChainId?: string | null;
  appCredId?: string | null;
  /** Tokens issued at or before this instant (ms) are revoked. */
  issuedBefore: number;
}

/** What of a token an event can match on. The roles are the token's effective role ids. */
export interface TokenFacts {
  userId: string;
  trustorId?: string;
  trusteeId?: string;
  projectId?: string;
  /** The domain of the scoped project, or the scoped domain. */
  domainIds: string[];
  roleIds: string[];
  trustId?: string;
  auditId: string;
  auditChainId: string;
  appCredId?: string;
  issuedAt: number;
}

export function isRevokedBy(event: RevocationEvent, t: TokenFacts): boolean {
  if (t.issuedAt > event.issuedBefore) return false;
  if (event.userId && event.userId !== t.userId && event.userId !== t.trustorId && event.userId !== t.trusteeId) return false;
  if (event.projectId && event.projectId !== t.projectId) return false;
  if (event.domainId && !t.domainIds.includes(event.domainId)) return false;
  if (event.roleId && !t.roleIds.includes(event.roleId)) return false;
  if (event.trustId && event.trustId !== t.trustId) return false;
  if (event.auditId && event.auditId !== t.auditId) return false;
  if (event.auditChainId && event.auditChainId !== t.auditChainId) return false;
  if (event.appCredId && event.appCredId !== t.appCredId) return false;
  return true;
}
