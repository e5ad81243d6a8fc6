// Checks the parts of a port request that need the database: security groups of the right project, and the
// rules tying port security, security groups and allowed address pairs together.
import type { NetworkDb } from '../db/tables.ts';
import { getSecurityGroup } from '../db/security-groups-repo.ts';
import { NeutronError, invalidInput, notFound, securityGroupConflict } from '../domain/errors.ts';
import { normalizeMac } from '../domain/mac-address.ts';
import { formatCidr, normalizeIp, parseCidr } from '../domain/ip-address.ts';

export interface AddressPair { ip_address: string; mac_address?: string }

/** Every group must exist and belong to the port's project (admins may use any). */
export async function checkSecurityGroups(db: NetworkDb, ids: string[], project: string, isAdmin: boolean): Promise<string[]> {
  const stateful = new Set<boolean>();
  for (const id of ids) {
    const g = await getSecurityGroup(db, id);
    if (!g || (!isAdmin && g.project_id !== project)) throw notFound('SecurityGroup', id);
    stateful.add(Boolean(g.stateful));
  }
  // A port is filtered with or without conntrack as a whole, so its groups must agree (as Neutron requires).
  if (stateful.size > 1) throw securityGroupConflict('Cannot apply both stateful and stateless security groups on the same port at the same time');
  return [...new Set(ids)];
}

export function checkPortSecurity(opts: { enabled: boolean; securityGroups: string[]; pairs: unknown[] }): void {
  if (opts.enabled) return;
  if (opts.securityGroups.length) {
    throw new NeutronError(409, 'PortSecurityAndIPRequiredForSecurityGroups', 'Port security must be enabled and port must have an IP address in order to use security groups.');
  }
  if (opts.pairs.length) throw new NeutronError(409, 'AddressPairAndPortSecurityRequired', 'Port Security must be enabled in order to have allowed address pairs on a port.');
}

/** Canonical pairs: an address or CIDR, and a MAC defaulting to the port's own. */
export function checkAddressPairs(pairs: AddressPair[], portMac: string): { ip_address: string; mac_address: string }[] {
  const out = pairs.map((p) => {
    const ip = p.ip_address.includes('/') ? (() => { const c = parseCidr(p.ip_address, false); return c && formatCidr(c); })() : normalizeIp(p.ip_address);
    if (!ip) throw invalidInput(`'${p.ip_address}' is not a valid IP address`);
    const mac = p.mac_address === undefined ? portMac : normalizeMac(p.mac_address);
    if (!mac) throw invalidInput(`'${p.mac_address}' is not a valid MAC address`);
    return { ip_address: ip, mac_address: mac };
  });
  const keys = out.map((p) => `${p.ip_address}|${p.mac_address}`);
  if (new Set(keys).size !== keys.length) throw new NeutronError(400, 'DuplicateAddressPairInRequest', 'Request contains duplicate address pair.');
  return out;
}
