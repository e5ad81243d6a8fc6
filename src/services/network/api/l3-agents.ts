// The server's side of the L3 and metadata agents (what Neutron's l3 and metadata agents ask their plugin for): a
// router's full picture, the state its host reports back, and which port a metadata request comes from.
// Each router is given only to the host of the L3 agent it is scheduled to (l3-scheduler.ts).
import { getNetwork } from '../db/networks-repo.ts';
import { fixedIpsOf, getPort, portsByDevice } from '../db/ports-repo.ts';
import { getSubnet } from '../db/subnets-repo.ts';
import { GATEWAY_OWNER, INTERFACE_OWNER, floatingIpsViaRouter, getRouter, routesOf } from '../db/routers-repo.ts';
import { touchRow } from '../db/standard-attrs.ts';
import type { PortRow } from '../db/tables.ts';
import type { MetadataPort, MetadataPortQuery, RouterInfo, RouterLeg, RouterWiring } from '../domain/router-info.ts';
import { normalizeIp } from '../domain/ip-address.ts';
import { agentWired, now } from './deps.ts';
import type { NetworkApiDeps } from './deps.ts';
import { hostsRouter } from './l3-scheduler.ts';


async function leg(deps: NetworkApiDeps, port: PortRow): Promise<RouterLeg | undefined> {
  const network = await getNetwork(deps.db, port.network_id);
  if (!network) return undefined;
  const addresses = [];
  for (const f of (await fixedIpsOf(deps.db, [port.id])).get(port.id) ?? []) {
    const subnet = await getSubnet(deps.db, f.subnet_id);
    if (subnet) addresses.push({ subnetId: subnet.id, ipAddress: f.ip_address, cidr: subnet.cidr, gatewayIp: subnet.gateway_ip, ipv6RaMode: subnet.ipv6_ra_mode });
  }
  return {
    portId: port.id, networkId: network.id, macAddress: port.mac_address, addresses,
    network: { networkType: network.network_type, physicalNetwork: network.physical_network, segmentationId: network.segmentation_id, mtu: network.mtu },
  };
}

/** What the router's L3 host wires; null when the router is gone or `host` does not host it. */
export async function routerInfo(deps: NetworkApiDeps, routerId: string, host: string): Promise<RouterInfo | null> {
  const router = await getRouter(deps.db, routerId);
  if (!router || !await hostsRouter(deps, routerId, host)) return null;
  const gatewayPort = (await portsByDevice(deps.db, routerId, GATEWAY_OWNER))[0];
  const interfaces = [];
  for (const port of await portsByDevice(deps.db, routerId, INTERFACE_OWNER)) {
    const l = await leg(deps, port);
    if (l) interfaces.push(l);
  }
  const floatingIps = (await floatingIpsViaRouter(deps.db, routerId))
    .filter((f) => f.fixed_ip_address && !f.floating_ip_address.includes(':'))
    .map((f) => ({ id: f.id, floatingIpAddress: f.floating_ip_address, fixedIpAddress: f.fixed_ip_address! }));
  return {
    routerId, adminStateUp: Boolean(router.admin_state_up), enableSnat: Boolean(router.enable_snat),
    gateway: gatewayPort ? await leg(deps, gatewayPort) ?? null : null, interfaces,
    routes: (await routesOf(deps.db, [routerId])).get(routerId) ?? [], floatingIps,
  };
}

/**
 * Moves the router's legs and floating IPs to ACTIVE (wired) or DOWN (not) as its host reports, as Neutron's L2 agent
 * does for router ports and its L3 agent for floating IPs, from the router's host only. With the noop data plane
 * they are ACTIVE from the start.
 */
export async function updateRouterState(deps: NetworkApiDeps, routerId: string, host: string, wiring: RouterWiring | null): Promise<void> {
  // A report from a host the router has left (a move) is stale.
  if (!agentWired(deps) || !await hostsRouter(deps, routerId, host)) return;
  const up = new Set(wiring?.portIds ?? []);
  const legs = [...await portsByDevice(deps.db, routerId, INTERFACE_OWNER), ...await portsByDevice(deps.db, routerId, GATEWAY_OWNER)];
  for (const port of legs) {
    const status = up.has(port.id) ? 'ACTIVE' : 'DOWN';
    if (port.status !== status) await touchRow(deps.db, 'ports', port.id, { changes: { status }, now: now() });
  }
  const active = new Set(wiring?.floatingIpIds ?? []);
  for (const fip of await floatingIpsViaRouter(deps.db, routerId)) {
    const status = active.has(fip.id) ? 'ACTIVE' : 'DOWN';
    if (fip.status !== status) await touchRow(deps.db, 'floating_ips', fip.id, { changes: { status }, now: now() });
  }
}

/**
 * The port holding `ipAddress` on the router's interface networks (or on one network), as Neutron's metadata agent
 * finds an instance; only ports of instances count (never the networking service's own). Null when none matches.
 */
export async function metadataPort(deps: NetworkApiDeps, query: MetadataPortQuery): Promise<MetadataPort | null> {
  const address = normalizeIp(query.ipAddress);
  if (!address) return null;
  let networkIds: string[];
  if (query.routerId) networkIds = [...new Set((await portsByDevice(deps.db, query.routerId, INTERFACE_OWNER)).map((p) => p.network_id))];
  else if (query.networkId) networkIds = [query.networkId];
  else return null;
  if (!networkIds.length) return null;
  const hit = await deps.db.selectFrom('ip_allocations').select(['port_id', 'network_id'])
    .where('network_id', 'in', networkIds).where('ip_address', '=', address).executeTakeFirst();
  const port = hit && await getPort(deps.db, hit.port_id);
  if (!port || !port.device_id || port.device_owner.startsWith('network:')) return null;
  return { portId: port.id, deviceId: port.device_id, projectId: port.project_id, networkId: port.network_id };
}
