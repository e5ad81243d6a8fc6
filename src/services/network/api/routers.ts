// Routers: an external gateway (a port on an external network, SNAT on by default) and interfaces on subnets
// (a port holding the subnet's gateway address, or an existing port). The legs are ordinary ports, so IPAM and its
// unique key cover them too.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { deletePortRows, fixedIpsOf, getPort, portsByDevice } from '../db/ports-repo.ts';
import { getNetwork } from '../db/networks-repo.ts';
import { getSubnet, subnetsOfNetwork } from '../db/subnets-repo.ts';
import { GATEWAY_OWNER, INTERFACE_OWNER, floatingIpsViaRouter, getRouter, insertRouter, interfacesOf, listRouters, routesOf } from '../db/routers-repo.ts';
import { tagsOf, touchRow } from '../db/standard-attrs.ts';
import { checkQuota } from '../db/quotas-repo.ts';
import type { NetworkRow, NetworkTables, RouterRow } from '../db/tables.ts';
import { NeutronError, badRequest, notFound, routerInUse, routerInterfaceExists, routerInterfaceNotFound, routerInterfaceNotFoundForSubnet } from '../domain/errors.ts';
import { cidrsOverlap, parseCidr } from '../domain/ip-address.ts';
import { agentWired, callerOf, listScope, can, enforce, enforceAttributes, idParam, now, owningProject } from './deps.ts';
import type { Caller, NetworkApiDeps } from './deps.ts';
import { listResponse, showFields } from './list-query.ts';
import { bodyOf, expectedRevision } from './request-helpers.ts';
import { routerView } from './views.ts';
import { bool, description, envelope, name, uuidish } from './schemas/common.ts';
import { loadNetwork } from './networks.ts';
import { loadSubnet } from './subnets.ts';
import { loadPort } from './ports.ts';
import { quotaDefaults } from './quotas.ts';
import { planFixedIps } from './port-addresses.ts';
import type { FixedIpRequest } from './port-addresses.ts';
import { createPortRecords } from './port-records.ts';
import { checkLegNotRouted, registerRouterRoutes, routesSchema, setRoutes } from './router-routes.ts';
import { normalizeRoutes } from '../domain/extra-routes.ts';
import type { ExtraRoute } from '../domain/extra-routes.ts';
import { routerHost, routersChanged } from './l3-scheduler.ts';

const gatewayInfo = {
  type: ['object', 'null'], additionalProperties: false,
  properties: {
    network_id: uuidish, enable_snat: bool,
    external_fixed_ips: { type: 'array', maxItems: 10, items: { type: 'object', additionalProperties: false, properties: { subnet_id: uuidish, ip_address: { type: 'string', maxLength: 64 } } } },
  },
} as const;
const editable = { name, description, admin_state_up: bool, external_gateway_info: gatewayInfo };
const createSchema = envelope('router', { ...editable, tenant_id: uuidish, project_id: uuidish });
const updateSchema = envelope('router', { ...editable, routes: routesSchema });
const interfaceSchema = { type: 'object', additionalProperties: false, properties: { subnet_id: uuidish, port_id: uuidish } } as const;

type GatewayInfo = { network_id?: string; enable_snat?: boolean; external_fixed_ips?: FixedIpRequest[] } | null;
type RouterBody = {
  name?: string; description?: string; admin_state_up?: boolean; external_gateway_info?: GatewayInfo; routes?: ExtraRoute[]; project_id?: string; tenant_id?: string;
};

const target = (r: { project_id: string }) => ({ project_id: r.project_id });
/** A new leg is DOWN until the router's L3 host reports it wired (ACTIVE at once with the noop data plane). */
const legStatus = (deps: NetworkApiDeps) => (agentWired(deps) ? 'DOWN' : 'ACTIVE');

export async function loadRouter(deps: NetworkApiDeps, caller: Caller, id: string): Promise<RouterRow> {
  const r = await getRouter(deps.db, id);
  if (!r || !can(deps, caller, 'get_router', target(r))) throw notFound('Router', id);
  return r;
}

/** Routers as the API shows them (also the l3-routers of an agent). */
export async function renderRouters(deps: NetworkApiDeps, rows: RouterRow[]) {
  const [tags, routes] = await Promise.all([tagsOf(deps.db, rows.map((r) => r.id)), routesOf(deps.db, rows.map((r) => r.id))]);
  const out = [];
  for (const r of rows) {
    const gw = (await portsByDevice(deps.db, r.id, GATEWAY_OWNER))[0];
    const gatewayIps = gw ? (await fixedIpsOf(deps.db, [gw.id])).get(gw.id) ?? [] : [];
    out.push(routerView(r, { tags: tags.get(r.id) ?? [], gatewayIps, routes: routes.get(r.id) ?? [] }));
  }
  return out;
}

/** Enforces the gateway's attribute rules (`<action>_router:external_gateway_info:<key>`). */
function enforceGateway(deps: NetworkApiDeps, caller: Caller, action: string, info: GatewayInfo | undefined, t: Record<string, unknown>) {
  if (!info) return;
  for (const key of ['network_id', 'enable_snat', 'external_fixed_ips'] as const) {
    if (info[key] !== undefined) enforce(deps, caller, `${action}_router:external_gateway_info:${key}`, t);
  }
}

/** The external network a gateway request names, checked before any transaction opens. */
async function gatewayNetwork(deps: NetworkApiDeps, caller: Caller, info: GatewayInfo | undefined): Promise<NetworkRow | undefined> {
  if (!info?.network_id) return undefined;
  const network = await loadNetwork(deps, caller, info.network_id);
  if (!network.router_external) throw badRequest('router', `Network ${network.id} is not an external network`);
  return network;
}

/** Replaces the router's gateway port (none for `info` null/empty) inside `tx`; `network` is gatewayNetwork's answer. */
async function setGateway(deps: NetworkApiDeps, tx: Kysely<NetworkTables>, router: RouterRow, info: GatewayInfo, network: NetworkRow | undefined): Promise<void> {
  const old = await portsByDevice(tx, router.id, GATEWAY_OWNER);
  if (!info?.network_id || !network) {
    if ((await floatingIpsViaRouter(tx, router.id)).length) {
      throw new NeutronError(409, 'RouterExternalGatewayInUseByFloatingIp', `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${router.gw_network_id} is required by one or more floating IPs.`);
    }
    for (const p of old) await deletePortRows(tx, p.id);
    await tx.updateTable('routers').set({ gw_network_id: null, enable_snat: true }).where('id', '=', router.id).execute();
    return;
  }
  const sameNetwork = old.length > 0 && router.gw_network_id === network.id;
  if (!sameNetwork || info.external_fixed_ips !== undefined) {
    if (old.length && router.gw_network_id !== network.id && (await floatingIpsViaRouter(tx, router.id)).length) {
      throw new NeutronError(409, 'RouterExternalGatewayInUseByFloatingIp', `Gateway cannot be updated for router ${router.id}, since a gateway to external network ${router.gw_network_id} is required by one or more floating IPs.`);
    }
    for (const p of old) await deletePortRows(tx, p.id);
    const planned = planFixedIps(network.id, await subnetsOfNetwork(tx, network.id), info.external_fixed_ips?.length ? info.external_fixed_ips : undefined, { mayUseGateway: false });
    if (!planned.length) throw badRequest('router', `No subnets on external network ${network.id}`);
    await createPortRecords(deps.db, {
      project_id: '', description: '', name: '', network_id: network.id, admin_state_up: true, status: legStatus(deps), device_id: router.id,
      device_owner: GATEWAY_OWNER, binding_host_id: '', binding_vif_type: 'unbound', binding_vif_details: '{}', binding_profile: '{}',
      binding_vnic_type: 'normal', port_security_enabled: false, allowed_address_pairs: () => '[]', planned, securityGroups: [], now: now(),
    }, tx);
  }
  await tx.updateTable('routers').set({ gw_network_id: network.id, enable_snat: info.enable_snat ?? (sameNetwork ? Boolean(router.enable_snat) : true) }).where('id', '=', router.id).execute();
}

async function changed(deps: NetworkApiDeps, req: FastifyRequest, action: 'create' | 'update', router: Record<string, unknown>): Promise<void> {
  deps.events.resourceChanged(req.ctx, 'router', action, { router });
  await routersChanged(deps, req.ctx, [router.id as string]);
}

export function registerRouters(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/routers', async (req) => {
    const caller = callerOf(deps, req);
    const rows = (await listRouters(deps.db, listScope(deps, caller))).filter((r) => can(deps, caller, 'get_router', target(r)));
    return listResponse(req, await renderRouters(deps, rows), { collection: 'routers', path: '/v2.0/routers', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/routers/:id', async (req) => {
    const r = await loadRouter(deps, callerOf(deps, req), idParam(req));
    return { router: showFields(req, (await renderRouters(deps, [r]))[0]) };
  });

  app.post('/v2.0/routers', { schema: { body: createSchema } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = bodyOf<RouterBody>(req, 'router');
    const project = owningProject(caller, b);
    enforce(deps, caller, 'create_router', { project_id: project });
    enforceAttributes(deps, caller, 'create_router', b as Record<string, unknown>, { project_id: project });
    enforceGateway(deps, caller, 'create', b.external_gateway_info, { project_id: project });
    const ts = now();
    const row: RouterRow = {
      id: randomUUID(), project_id: project, description: b.description ?? '', revision_number: 1, created_at: ts, updated_at: ts,
      name: b.name ?? '', admin_state_up: b.admin_state_up ?? true, status: 'ACTIVE', gw_network_id: null, enable_snat: true,
    };
    const gwNetwork = await gatewayNetwork(deps, caller, b.external_gateway_info);
    await deps.db.transaction().execute(async (tx) => {
      await checkQuota(tx, project, 'router', quotaDefaults(deps));
      await insertRouter(tx, row);
      if (b.external_gateway_info) await setGateway(deps, tx, row, b.external_gateway_info, gwNetwork);
    });
    const router = (await renderRouters(deps, [(await getRouter(deps.db, row.id))!]))[0];
    await changed(deps, req, 'create', router);
    reply.code(201);
    return { router };
  });

  app.put('/v2.0/routers/:id', { schema: { body: updateSchema } }, async (req) => {
    const caller = callerOf(deps, req);
    const r = await loadRouter(deps, caller, idParam(req));
    const b = bodyOf<RouterBody>(req, 'router');
    enforce(deps, caller, 'update_router', target(r));
    enforceAttributes(deps, caller, 'update_router', b as Record<string, unknown>, target(r));
    enforceGateway(deps, caller, 'update', b.external_gateway_info, target(r));
    const changes = Object.fromEntries(Object.entries({ name: b.name, description: b.description, admin_state_up: b.admin_state_up }).filter(([, v]) => v !== undefined));
    const gwNetwork = await gatewayNetwork(deps, caller, b.external_gateway_info);
    const routes = b.routes && normalizeRoutes(b.routes);
    await deps.db.transaction().execute(async (tx) => {
      if (!await touchRow(tx, 'routers', r.id, { expected: expectedRevision(req), changes, now: now() })) throw notFound('Router', r.id);
      if (b.external_gateway_info !== undefined) await setGateway(deps, tx, r, b.external_gateway_info, gwNetwork);
      // Checked against the legs as this update leaves them.
      if (routes) await setRoutes(deps, tx, r.id, routes);
    });
    const router = (await renderRouters(deps, [(await getRouter(deps.db, r.id))!]))[0];
    await changed(deps, req, 'update', router);
    return { router };
  });

  app.delete('/v2.0/routers/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const r = await loadRouter(deps, caller, idParam(req));
    enforce(deps, caller, 'delete_router', target(r));
    const expected = expectedRevision(req);
    const host = await routerHost(deps, r.id);
    await deps.db.transaction().execute(async (tx) => {
      if (expected !== undefined) await touchRow(tx, 'routers', r.id, { expected, now: now() });
      if ((await interfacesOf(tx, r.id)).length) throw routerInUse(r.id);
      await setGateway(deps, tx, r, null, undefined);
      await tx.deleteFrom('tags').where('resource_id', '=', r.id).execute();
      await tx.deleteFrom('router_routes').where('router_id', '=', r.id).execute();
      await tx.deleteFrom('routers').where('id', '=', r.id).execute();
    });
    deps.events.resourceChanged(req.ctx, 'router', 'delete', { router_id: r.id });
    // Its host tears it down (its binding went with it).
    if (host) deps.events.agentOn(req.ctx, host, 'routers_updated', { routerIds: [r.id] });
    reply.code(204);
  });

  app.put('/v2.0/routers/:id/add_router_interface', { schema: { body: interfaceSchema } }, async (req) => {
    const caller = callerOf(deps, req);
    const r = await loadRouter(deps, caller, idParam(req));
    enforce(deps, caller, 'add_router_interface', target(r));
    const b = req.body as { subnet_id?: string; port_id?: string };
    if (!b || (b.subnet_id === undefined) === (b.port_id === undefined)) throw badRequest('router', 'Either subnet_id or port_id must be specified');
    let portId: string;
    if (b.subnet_id !== undefined) {
      const { subnet } = await loadSubnet(deps, caller, b.subnet_id);
      if (!subnet.gateway_ip) throw badRequest('router', `Subnet for router interface must have a gateway IP`);
      await checkNoOverlap(deps, r.id, [subnet.id]);
      portId = (await createPortRecords(deps.db, {
        project_id: r.project_id, description: '', name: '', network_id: subnet.network_id, admin_state_up: true, status: legStatus(deps),
        device_id: r.id, device_owner: INTERFACE_OWNER, binding_host_id: '', binding_vif_type: 'unbound', binding_vif_details: '{}',
        binding_profile: '{}', binding_vnic_type: 'normal', port_security_enabled: false, allowed_address_pairs: () => '[]',
        planned: [{ subnet, address: subnet.gateway_ip }], securityGroups: [], now: now(),
      })).id;
    } else {
      const { port } = await loadPort(deps, caller, b.port_id!);
      if (port.device_id || port.device_owner) throw new NeutronError(409, 'PortInUse', `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`);
      const ips = (await fixedIpsOf(deps.db, [port.id])).get(port.id) ?? [];
      if (!ips.length) throw badRequest('router', `Router port must have at least one fixed IP`);
      await checkNoOverlap(deps, r.id, ips.map((i) => i.subnet_id));
      await deps.db.transaction().execute(async (tx) => {
        await touchRow(tx, 'ports', port.id, { now: now(), changes: { device_id: r.id, device_owner: INTERFACE_OWNER, status: legStatus(deps) } });
        await tx.deleteFrom('port_security_groups').where('port_id', '=', port.id).execute();
      });
      portId = port.id;
    }
    await touchRow(deps.db, 'routers', r.id, { now: now() });
    return interfaceInfo(deps, req, r, portId);
  });

  app.put('/v2.0/routers/:id/remove_router_interface', { schema: { body: interfaceSchema } }, async (req) => {
    const caller = callerOf(deps, req);
    const r = await loadRouter(deps, caller, idParam(req));
    enforce(deps, caller, 'remove_router_interface', target(r));
    const b = req.body as { subnet_id?: string; port_id?: string };
    if (!b || (b.subnet_id === undefined && b.port_id === undefined)) throw badRequest('router', 'Either subnet_id or port_id must be specified');
    const legs = await interfacesOf(deps.db, r.id);
    const leg = b.port_id !== undefined ? legs.find((l) => l.portId === b.port_id && (b.subnet_id === undefined || l.subnetId === b.subnet_id))
      : legs.find((l) => l.subnetId === b.subnet_id);
    if (!leg) throw b.port_id !== undefined ? routerInterfaceNotFound(r.id, b.port_id) : routerInterfaceNotFoundForSubnet(r.id, b.subnet_id!);
    const info = await interfaceInfo(deps, req, r, leg.portId, false);
    const inUse = (await floatingIpsViaRouter(deps.db, r.id)).length > 0 && await deps.db.selectFrom('floating_ips')
      .innerJoin('ip_allocations', (j) => j.onRef('ip_allocations.port_id', '=', 'floating_ips.port_id').onRef('ip_allocations.ip_address', '=', 'floating_ips.fixed_ip_address'))
      .select('floating_ips.id').where('floating_ips.router_id', '=', r.id).where('ip_allocations.subnet_id', '=', leg.subnetId).executeTakeFirst();
    if (inUse) throw new NeutronError(409, 'RouterInterfaceInUseByFloatingIP', `Router interface for subnet ${leg.subnetId} on router ${r.id} cannot be deleted, as it is required by one or more floating IPs.`);
    await checkLegNotRouted(deps.db, r.id, leg.subnetId);
    await deps.db.transaction().execute(async (tx) => {
      await deletePortRows(tx, leg.portId);
      await touchRow(tx, 'routers', r.id, { now: now() });
    });
    await routersChanged(deps, req.ctx, [r.id]);
    // DHCP servers serve metadata for subnets without a router (isolated metadata): this one may have become one.
    deps.events.agents(req.ctx, 'network_ports_changed', { networkId: info.network_id });
    return info;
  });

  registerRouterRoutes(app, deps, async (row) => (await renderRouters(deps, [row]))[0]);
}

/** Two interfaces of one router may not sit on overlapping subnets. */
async function checkNoOverlap(deps: NetworkApiDeps, routerId: string, subnetIds: string[]): Promise<void> {
  for (const leg of await interfacesOf(deps.db, routerId)) {
    const a = await getSubnet(deps.db, leg.subnetId);
    for (const id of subnetIds) {
      if (leg.subnetId === id) throw routerInterfaceExists(routerId, id);
      const b = await getSubnet(deps.db, id);
      if (a && b && cidrsOverlap(parseCidr(a.cidr)!, parseCidr(b.cidr)!)) {
        throw badRequest('router', `Cidr ${b.cidr} of subnet ${b.id} overlaps with cidr ${a.cidr} of subnet ${a.id}`);
      }
    }
  }
}

async function interfaceInfo(deps: NetworkApiDeps, req: FastifyRequest, r: RouterRow, portId: string, publish = true) {
  const port = (await getPort(deps.db, portId))!;
  const ips = (await fixedIpsOf(deps.db, [portId])).get(portId) ?? [];
  if (publish) {
    await routersChanged(deps, req.ctx, [r.id]);
    deps.events.agents(req.ctx, 'network_ports_changed', { networkId: port.network_id });
    const network = await getNetwork(deps.db, port.network_id);
    deps.events.resourceChanged(req.ctx, 'router', 'update', { router_id: r.id, interface: { port_id: portId, network_id: network?.id } });
  }
  return {
    id: r.id, tenant_id: r.project_id, project_id: r.project_id, port_id: portId, network_id: port.network_id,
    subnet_id: ips[0]?.subnet_id, subnet_ids: ips.map((i) => i.subnet_id),
  };
}
