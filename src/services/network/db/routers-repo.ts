// Routers and floating IPs. A router's legs are ports (device_owner network:router_gateway / _interface, device_id
// the router), so their addresses come from the same IPAM and the same unique key as every other port.
import type { Kysely } from 'kysely';
import type { FloatingIpRow, NetworkDb, NetworkTables, RouterRow } from './tables.ts';
import type { ExtraRoute } from '../domain/extra-routes.ts';

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

/** Each router's extra routes, in a stable order. */
export async function routesOf(db: Db, routerIds: string[]): Promise<Map<string, ExtraRoute[]>> {
  const out = new Map<string, ExtraRoute[]>(routerIds.map((id) => [id, []]));
  if (!routerIds.length) return out;
  const rows = await db.selectFrom('router_routes').selectAll().where('router_id', 'in', routerIds).orderBy('destination').orderBy('nexthop').execute();
  for (const r of rows) out.get(r.router_id)!.push({ destination: r.destination, nexthop: r.nexthop });
  return out;
}

/** Makes the router's extra routes exactly `routes` (inside the caller's transaction). */
export async function replaceRoutes(db: Db, routerId: string, routes: ExtraRoute[]): Promise<void> {
  await db.deleteFrom('router_routes').where('router_id', '=', routerId).execute();
  if (routes.length) await db.insertInto('router_routes').values(routes.map((r) => ({ router_id: routerId, ...r }))).execute();
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
