// Creating a port's records in one transaction — the row, its MAC, its fixed IPs and security groups — retried
// when an automatic MAC or address lost a race, so callers (the port API, routers, floating IPs) share one path.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { NetworkDb, NetworkTables, PortRow } from '../db/tables.ts';
import { insertPort, setSecurityGroups } from '../db/ports-repo.ts';
import type { FixedIp } from '../db/ports-repo.ts';
import { checkQuota } from '../db/quotas-repo.ts';
import type { QuotaDefaults } from '../domain/quotas.ts';
import { generateMac } from '../domain/mac-address.ts';
import { ipAddressGenerationFailure, macAddressInUse } from '../domain/errors.ts';
import { AllocationRace, claimFixedIps } from './port-addresses.ts';
import type { PlannedIp } from './port-addresses.ts';

const ATTEMPTS = 20;

export type NewPort = Omit<PortRow, 'id' | 'mac_address' | 'revision_number' | 'created_at' | 'updated_at' | 'allowed_address_pairs'> & {
  /** The pairs' JSON, given the port's MAC (pairs without a MAC use it). */
  allowed_address_pairs: (mac: string) => string;
  /** The port's id when the caller needs it beforehand (binding names devices after it); generated when absent. */
  id?: string;
  /** A requested MAC; generated (and regenerated on a clash) when absent. */
  mac_address?: string;
  planned: PlannedIp[];
  securityGroups: string[];
  /** Count against the project's port quota (not for router gateway and floating IP ports). */
  quota?: QuotaDefaults;
  now: string;
};

/**
 * Creates the port and claims its addresses; returns the new id and its fixed IPs. Throws IpAddressInUse,
 * IpAddressGenerationFailure, MacAddressInUse or OverQuota, leaving nothing behind. With `tx` it joins the caller's
 * transaction (and a lost race is the caller's to retry); without, it opens and retries its own.
 */
export async function createPortRecords(db: NetworkDb, port: NewPort, tx?: Kysely<NetworkTables>): Promise<{ id: string; fixedIps: FixedIp[] }> {
  const { planned, securityGroups, quota, now, mac_address, allowed_address_pairs, id: givenId, ...columns } = port;
  const attempt = async (t: Kysely<NetworkTables>) => {
    const id = givenId ?? randomUUID();
    const mac = mac_address ?? generateMac();
    if (quota) await checkQuota(t, columns.project_id, 'port', quota);
    try {
      await insertPort(t, { ...columns, id, mac_address: mac, allowed_address_pairs: allowed_address_pairs(mac), revision_number: 1, created_at: now, updated_at: now });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      if (mac_address !== undefined) throw macAddressInUse(columns.network_id, mac);
      throw new AllocationRace();
    }
    const fixedIps = await claimFixedIps(t, { networkId: columns.network_id, portId: id, mac, planned });
    await setSecurityGroups(t, id, securityGroups);
    return { id, fixedIps };
  };
  if (tx) {
    try {
      return await attempt(tx);
    } catch (err) {
      // The caller's transaction cannot be replayed from here: report the lost race as exhaustion (rare, retryable).
      throw err instanceof AllocationRace ? ipAddressGenerationFailure(columns.network_id) : err;
    }
  }
  for (let i = 1; ; i++) {
    try {
      return await db.transaction().execute(attempt);
    } catch (err) {
      if (!(err instanceof AllocationRace)) throw err;
      if (i >= ATTEMPTS) throw ipAddressGenerationFailure(columns.network_id);
    }
  }
}
