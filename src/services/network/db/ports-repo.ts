// Ports, their fixed IPs (ip_allocations) and security group memberships.
import type { Kysely } from 'kysely';
import type { NetworkDb, NetworkTables, PortRow } from './tables.ts';

type Db = Kysely<NetworkTables>;

export interface FixedIp { subnet_id: string; ip_address: string }

export async function getPort(db: Db, id: string): Promise<PortRow | undefined> {
  return db.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Ports a project sees: its own and those on networks it owns; all for `project` undefined. */
export async function listPorts(db: NetworkDb, project: string | undefined): Promise<PortRow[]> {
  let q = db.selectFrom('ports').selectAll();
  if (project !== undefined) {
    q = q.where((eb) => eb.or([eb('project_id', '=', project), eb('network_id', 'in', eb.selectFrom('networks').select('id').where('project_id', '=', project))]));
  }
  return q.orderBy('id').execute();
}

export async function portsByDevice(db: Db, deviceId: string, deviceOwner?: string): Promise<PortRow[]> {
  let q = db.selectFrom('ports').selectAll().where('device_id', '=', deviceId);
  if (deviceOwner !== undefined) q = q.where('device_owner', '=', deviceOwner);
  return q.orderBy('created_at').execute();
}

export async function fixedIpsOf(db: Db, portIds: string[]): Promise<Map<string, FixedIp[]>> {
  const out = new Map<string, FixedIp[]>();
  for (let i = 0; i < portIds.length; i += 500) {
    const rows = await db.selectFrom('ip_allocations').selectAll().where('port_id', 'in', portIds.slice(i, i + 500)).orderBy('subnet_id').orderBy('ip_address').execute();
    for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), { subnet_id: r.subnet_id, ip_address: r.ip_address }]);
  }
  // IPv4 addresses first (the one Compute shows as the server's primary), then IPv6; stable within each.
  for (const ips of out.values()) ips.sort((a, b) => Number(a.ip_address.includes(':')) - Number(b.ip_address.includes(':')));
  return out;
}

export async function securityGroupsOf(db: Db, portIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < portIds.length; i += 500) {
    const rows = await db.selectFrom('port_security_groups').selectAll().where('port_id', 'in', portIds.slice(i, i + 500)).orderBy('security_group_id').execute();
    for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), r.security_group_id]);
  }
  return out;
}

export async function insertPort(db: Db, row: PortRow): Promise<void> {
  await db.insertInto('ports').values(row).execute();
}

/** Records an address for a port; a taken address surfaces as the (network_id, ip_address) unique violation. */
export async function insertAllocation(db: Db, a: { networkId: string; subnetId: string; ipAddress: string; portId: string }): Promise<void> {
  await db.insertInto('ip_allocations').values({ network_id: a.networkId, subnet_id: a.subnetId, ip_address: a.ipAddress, port_id: a.portId }).execute();
}

export async function releaseAllocation(db: Db, portId: string, ipAddress: string): Promise<void> {
  await db.deleteFrom('ip_allocations').where('port_id', '=', portId).where('ip_address', '=', ipAddress).execute();
}

export async function setSecurityGroups(db: Db, portId: string, groupIds: string[]): Promise<void> {
  await db.deleteFrom('port_security_groups').where('port_id', '=', portId).execute();
  if (groupIds.length) await db.insertInto('port_security_groups').values([...new Set(groupIds)].map((g) => ({ port_id: portId, security_group_id: g }))).execute();
}

/** Deletes a port with its addresses, memberships and tags, and detaches floating IPs from it. */
export async function deletePortRows(db: Db, id: string): Promise<void> {
  await db.updateTable('floating_ips').set({ port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' }).where('port_id', '=', id).execute();
  await db.deleteFrom('ip_allocations').where('port_id', '=', id).execute();
  await db.deleteFrom('port_security_groups').where('port_id', '=', id).execute();
  await db.deleteFrom('tags').where('resource_id', '=', id).execute();
  await db.deleteFrom('ports').where('id', '=', id).execute();
}
