// The revocation events, kept in memory and refreshed from the database so other identity processes' events count too.
import { randomUUID } from 'node:crypto';
import type { IdentityDb, RevocationEventRow } from '../db/tables.ts';
import { isRevokedBy } from '../domain/revocation.ts';
import type { RevocationEvent, TokenFacts } from '../domain/revocation.ts';

export interface RevocationList {
  /** Records an event; tokens it matches fail validation from now on, in every process. */
  revoke(event: Omit<RevocationEvent, 'issuedBefore'> & { issuedBefore?: number }): Promise<void>;
  isRevoked(facts: TokenFacts): Promise<boolean>;
  /** Events revoked after `since` (ms), for GET /v3/OS-REVOKE/events. */
  since(since: number): Promise<RevocationEventRow[]>;
  /** Changes whenever the known set of events changes. */
  version(): number;
}

export function createRevocationList(db: IdentityDb, opts: { refreshMs?: number; maxTokenLifeMs: number }): RevocationList {
  const refreshMs = opts.refreshMs ?? 1000;
  let events: RevocationEventRow[] = [];
  let newest = 0;
  let checkedAt = 0;
  let version = 0;
  let refreshing: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    const fresh = await db.selectFrom('revocation_events').selectAll().where('revoked_at', '>=', newest).execute();
    const known = new Set(events.map((e) => e.id));
    const added = fresh.map((e) => ({ ...e, issued_before: Number(e.issued_before), revoked_at: Number(e.revoked_at) })).filter((e) => !known.has(e.id));
    if (added.length > 0) {
      events = [...events, ...added];
      newest = Math.max(newest, ...added.map((e) => e.revoked_at));
      version++;
    }
    // Events older than the longest token life can no longer match a valid token.
    const horizon = Date.now() - opts.maxTokenLifeMs - 60_000;
    if (events.some((e) => e.issued_before < horizon)) events = events.filter((e) => e.issued_before >= horizon);
    checkedAt = Date.now();
  }

  async function fresh(): Promise<void> {
    if (Date.now() - checkedAt < refreshMs) return;
    refreshing ??= refresh().finally(() => { refreshing = undefined; });
    await refreshing;
  }

  return {
    async revoke(e) {
      const now = Date.now();
      const row: RevocationEventRow = {
        id: randomUUID(), user_id: e.userId ?? null, project_id: e.projectId ?? null, domain_id: e.domainId ?? null,
        role_id: e.roleId ?? null, trust_id: e.trustId ?? null, audit_id: e.auditId ?? null,
        audit_chain_id: e.auditChainId ?? null, app_cred_id: e.appCredId ?? null,
        issued_before: e.issuedBefore ?? now, revoked_at: now,
      };
      await db.insertInto('revocation_events').values(row).execute();
      events = [...events, row];
      newest = Math.max(newest, now);
      version++;
    },
    async isRevoked(facts) {
      await fresh();
      return events.some((e) => isRevokedBy({
        userId: e.user_id, projectId: e.project_id, domainId: e.domain_id, roleId: e.role_id, trustId: e.trust_id,
        auditId: e.audit_id, auditChainId: e.audit_chain_id, appCredId: e.app_cred_id, issuedBefore: e.issued_before,
      }, facts));
    },
    async since(since) {
      await fresh();
      return events.filter((e) => e.revoked_at >= since);
    },
    version: () => version,
  };
}
