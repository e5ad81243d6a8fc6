// Routers and floating IPs. A router's legs are ports (device_owner network:router_gateway / _interface, device_id
// the router), so their addresses come from the same IPAM and the same unique key as every other port.
import type { Kysely } from 'kysely';
import type { FloatingIpRow, NetworkDb, NetworkTables, RouterRow } from './tables.ts';

type Db = Kysely<NetworkTables>;

export const GATEWAY_OWNER = 'network:router_gateway';
export const INTERFACE_OWNER = 'network:router_interface';
export const FLOATING_IP_OWNER = 'network:floatingip';

export async function getRouter(db: Db, id: string): Promise<RouterRow | undefined> {
  return db.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listRouters(db: NetworkDb, project: string | undefined): Promise<RouterRow[]> {
  let q = db.selectFrom('routers').selectAll();
  if (project !== undefined) q = q.where('project_id', '=', project);
  return q.orderBy('id').execute();
}

export async function insertRouter(db: Db, row: RouterRow): Promise<void> {
  await db.insertInto('routers').values(row).execute();
}

/** The router's interface ports with the subnets they sit on. */
export async function interfacesOf(db: Db, routerId: string): Promise<{ portId: string; subnetId: string; networkId: string }[]> {
  return db.selectFrom('ports').innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
    .select(['ports.id as portId', 'ip_allocations.subnet_id as subnetId', 'ports.network_id as networkId'])
    .where('ports.device_id', '=', routerId).where('ports.device_owner', '=', INTERFACE_OWNER).execute();
}

/**
 * A router that can carry traffic between `subnetId` and `externalNetworkId`: its gateway is on the external network
 * and it has an interface on the subnet. Undefined when none can.
 */
export async function routerBetween(db: Db, subnetId: string, externalNetworkId: string): Promise<string | undefined> {
  const row = await db.selectFrom('routers').select('routers.id')
    .where('gw_network_id', '=', externalNetworkId)
    .where('routers.id', 'in', (eb) => eb.selectFrom('ports').innerJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
      .select('ports.device_id').where('ports.device_owner', '=', INTERFACE_OWNER).where('ip_allocations.subnet_id', '=', subnetId))
    .orderBy('routers.id').executeTakeFirst();
  return row?.id;
}

export async function getFloatingIp(db: Db, id: string): Promise<FloatingIpRow | undefined> {
  return db.selectFrom('floating_ips').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listFloatingIps(db: NetworkDb, project: string | undefined): Promise<FloatingIpRow[]> {
  let q = db.selectFrom('floating_ips').selectAll();
  if (project !== undefined) q = q.where('project_id', '=', project);
  return q.orderBy('id').execute();
}

export async function floatingIpsViaRouter(db: Db, routerId: string): Promise<FloatingIpRow[]> {
  return db.selectFrom('floating_ips').selectAll().where('router_id', '=', routerId).execute();
}
