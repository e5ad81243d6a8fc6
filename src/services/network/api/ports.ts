// Ports: fixed IPs from IPAM, generated MACs unique per network, security groups (the project's default group when
// none are named), allowed address pairs, and the binding Compute sets (host, profile, vNIC type). A port is DOWN
// until bound; the noop data plane makes a bound port ACTIVE at once, a wiring one when the host's agent reports it up.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getNetwork } from '../db/networks-repo.ts';
import { deletePortRows, fixedIpsOf, getPort, listPorts, releaseAllocation, securityGroupsOf, setSecurityGroups } from '../db/ports-repo.ts';
import { subnetsOfNetwork } from '../db/subnets-repo.ts';
import { ensureDefaultSecurityGroup } from '../db/security-groups-repo.ts';
import { tagsOf, touchRow } from '../db/standard-attrs.ts';
import type { NetworkRow, PortRow } from '../db/tables.ts';
import { NeutronError, invalidInput, notFound } from '../domain/errors.ts';
import { normalizeMac } from '../domain/mac-address.ts';
import { normalizeIp } from '../domain/ip-address.ts';
import { bindPort, VNIC_TYPES } from '../domain/port-binding.ts';
import type { PortDetails } from '../rpc/agent-rpc.ts';
import { agentWired, callerOf, listScope, can, enforce, enforceAttributes, idParam, now, owningProject } from './deps.ts';
import type { Caller, NetworkApiDeps } from './deps.ts';
import { listResponse, showFields } from './list-query.ts';
import { bodyOf, expectedRevision } from './request-helpers.ts';
import { portView } from './views.ts';
import { bool, description, envelope, name, uuidish } from './schemas/common.ts';
import { loadNetwork } from './networks.ts';
import { quotaDefaults } from './quotas.ts';
import { AllocationRace, claimFixedIps, planFixedIps } from './port-addresses.ts';
import type { FixedIpRequest } from './port-addresses.ts';
import { createPortRecords } from './port-records.ts';
import { notifyMembersChanged } from './security-group-info.ts';
import { checkAddressPairs, checkPortSecurity, checkSecurityGroups } from './port-input.ts';
import type { AddressPair } from './port-input.ts';
import { routersChanged } from './l3-scheduler.ts';

const fixedIps = { type: 'array', maxItems: 100, items: { type: 'object', additionalProperties: false, properties: { subnet_id: uuidish, ip_address: { type: 'string', maxLength: 64 } } } } as const;
const pairs = { type: 'array', maxItems: 10, items: { type: 'object', additionalProperties: false, required: ['ip_address'], properties: { ip_address: { type: 'string', maxLength: 64 }, mac_address: { type: 'string', maxLength: 32 } } } } as const;
const editable = {
  name, description, admin_state_up: bool, device_id: { type: 'string', maxLength: 255 }, device_owner: { type: 'string', maxLength: 255 },
  fixed_ips: fixedIps, security_groups: { type: 'array', maxItems: 50, items: uuidish }, port_security_enabled: bool, allowed_address_pairs: pairs,
  mac_address: { type: 'string', maxLength: 32 }, 'binding:host_id': { type: 'string', maxLength: 255 }, 'binding:profile': { type: ['object', 'null'] },
  'binding:vnic_type': { type: 'string', enum: [...VNIC_TYPES] },
};
const createSchema = envelope('port', { ...editable, network_id: uuidish, tenant_id: uuidish, project_id: uuidish }, ['network_id']);
const updateSchema = envelope('port', editable);

interface PortBody {
  name?: string; description?: string; admin_state_up?: boolean; device_id?: string; device_owner?: string; network_id: string;
  fixed_ips?: FixedIpRequest[]; security_groups?: string[]; port_security_enabled?: boolean; allowed_address_pairs?: AddressPair[];
  mac_address?: string; 'binding:host_id'?: string; 'binding:profile'?: Record<string, unknown> | null; 'binding:vnic_type'?: string;
  tenant_id?: string; project_id?: string;
}

/** Internal ports (routers, floating IPs) are managed through their owners, never directly. */
const PROTECTED_OWNERS = new Set(['network:router_interface', 'network:router_gateway', 'network:floatingip']);

export const portTarget = (port: { project_id: string; device_owner: string }, net: NetworkRow) => ({
  project_id: port.project_id, 'network:tenant_id': net.project_id, shared: Boolean(net.shared), network_device: port.device_owner.startsWith('network:'),
});

export async function loadPort(deps: NetworkApiDeps, caller: Caller, id: string): Promise<{ port: PortRow; network: NetworkRow }> {
  const port = await getPort(deps.db, id);
  const network = port && await getNetwork(deps.db, port.network_id);
  if (!port || !network || !can(deps, caller, 'get_port', portTarget(port, network))) throw notFound('Port', id);
  return { port, network };
}

export async function renderPorts(deps: NetworkApiDeps, caller: Caller, rows: PortRow[], networks: Map<string, NetworkRow>) {
  const ids = rows.map((r) => r.id);
  const [ips, groups, tags] = await Promise.all([fixedIpsOf(deps.db, ids), securityGroupsOf(deps.db, ids), tagsOf(deps.db, ids)]);
  return rows.map((r) => portView(r, {
    fixedIps: ips.get(r.id) ?? [], securityGroups: groups.get(r.id) ?? [], tags: tags.get(r.id) ?? [],
    binding: can(deps, caller, 'get_port:binding:host_id', portTarget(r, networks.get(r.network_id)!)),
  }));
}

async function renderOne(deps: NetworkApiDeps, caller: Caller, id: string, network: NetworkRow) {
  return (await renderPorts(deps, caller, [(await getPort(deps.db, id))!], new Map([[network.id, network]])))[0];
}

/** What an agent needs to wire the port (sent on every change of a bound port). */
export async function portDetails(deps: NetworkApiDeps, port: PortRow, network: NetworkRow): Promise<PortDetails> {
  const [ips, groups] = await Promise.all([fixedIpsOf(deps.db, [port.id]), securityGroupsOf(deps.db, [port.id])]);
  return {
    portId: port.id, networkId: port.network_id, macAddress: port.mac_address,
    fixedIps: (ips.get(port.id) ?? []).map((f) => ({ subnetId: f.subnet_id, ipAddress: f.ip_address })),
    adminStateUp: Boolean(port.admin_state_up), deviceOwner: port.device_owner, deviceId: port.device_id, hostId: port.binding_host_id,
    portSecurityEnabled: Boolean(port.port_security_enabled), securityGroupIds: groups.get(port.id) ?? [],
    allowedAddressPairs: (JSON.parse(port.allowed_address_pairs) as { ip_address: string; mac_address: string }[]).map((p) => ({ ipAddress: p.ip_address, macAddress: p.mac_address })),
    network: { networkType: network.network_type, physicalNetwork: network.physical_network, segmentationId: network.segmentation_id, mtu: network.mtu },
  };
}

/** The attribute rules a body touches; fixed_ips has one per sub-key. */
function enforcePortAttributes(deps: NetworkApiDeps, caller: Caller, action: 'create_port' | 'update_port', b: Partial<PortBody>, target: Record<string, unknown>): void {
  enforceAttributes(deps, caller, action, b as Record<string, unknown>, target);
  if (b.fixed_ips?.some((f) => f.ip_address !== undefined)) enforce(deps, caller, `${action}:fixed_ips:ip_address`, target);
  if (b.fixed_ips?.some((f) => f.subnet_id !== undefined)) enforce(deps, caller, `${action}:fixed_ips:subnet_id`, target);
}

async function publish(deps: NetworkApiDeps, req: FastifyRequest, action: 'create' | 'update', port: Record<string, unknown>, row: PortRow, network: NetworkRow) {
  deps.events.resourceChanged(req.ctx, 'port', action, { port });
  if (row.binding_host_id) deps.events.agents(req.ctx, 'port_update', { port: await portDetails(deps, row, network) });
  deps.events.agents(req.ctx, 'network_ports_changed', { networkId: row.network_id });
}

export function registerPorts(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/ports', async (req) => {
    const caller = callerOf(deps, req);
    const rows = await listPorts(deps.db, listScope(deps, caller));
    const networks = new Map<string, NetworkRow>();
    for (const r of rows) if (!networks.has(r.network_id)) networks.set(r.network_id, (await getNetwork(deps.db, r.network_id))!);
    const visible = rows.filter((r) => can(deps, caller, 'get_port', portTarget(r, networks.get(r.network_id)!)));
    return listResponse(req, await renderPorts(deps, caller, visible, networks), { collection: 'ports', path: '/v2.0/ports', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/ports/:id', async (req) => {
    const caller = callerOf(deps, req);
    const { port, network } = await loadPort(deps, caller, idParam(req));
    return { port: showFields(req, await renderOne(deps, caller, port.id, network)) };
  });

  app.post('/v2.0/ports', { schema: { body: createSchema } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = bodyOf<PortBody>(req, 'port');
    const network = await loadNetwork(deps, caller, b.network_id);
    const project = owningProject(caller, b);
    const deviceOwner = b.device_owner ?? '';
    const target = portTarget({ project_id: project, device_owner: deviceOwner }, network);
    enforce(deps, caller, 'create_port', target);
    enforcePortAttributes(deps, caller, 'create_port', b, target);
    if (PROTECTED_OWNERS.has(deviceOwner)) throw invalidInput(`device_owner ${deviceOwner} is reserved for ports the networking service manages`);
    const mac = b.mac_address === undefined ? undefined : normalizeMac(b.mac_address);
    if (b.mac_address !== undefined && !mac) throw invalidInput(`'${b.mac_address}' is not a valid MAC address`);
    const portSecurity = b.port_security_enabled ?? Boolean(network.port_security_enabled);
    const groups = deviceOwner.startsWith('network:') || !portSecurity ? b.security_groups ?? []
      : b.security_groups ?? [await ensureDefaultSecurityGroup(deps.db, project, now())];
    const securityGroups = await checkSecurityGroups(deps.db, groups, project, caller.isAdmin);
    checkPortSecurity({ enabled: portSecurity, securityGroups, pairs: b.allowed_address_pairs ?? [] });
    // Checked now with a stand-in MAC so a bad pair creates nothing; pairs without a MAC get the port's own below.
    checkAddressPairs(b.allowed_address_pairs ?? [], mac ?? 'fa:16:3e:00:00:00');
    const vnicType = b['binding:vnic_type'] ?? 'normal';
    const hostId = b['binding:host_id'] ?? '';
    const newId = randomUUID();
    const binding = bindPort({ hostId, vnicType, deviceOwner, portSecurityEnabled: portSecurity, agentWired: agentWired(deps), networkId: network.id, portId: newId });
    const planned = planFixedIps(network.id, await subnetsOfNetwork(deps.db, network.id), b.fixed_ips, { mayUseGateway: false });
    checkFixedIpCount(deps, planned.length);
    const { id } = await createPortRecords(deps.db, {
      id: newId, project_id: project, description: b.description ?? '', name: b.name ?? '', network_id: network.id,
      admin_state_up: b.admin_state_up ?? true, status: binding.status, mac_address: mac, device_id: b.device_id ?? '', device_owner: deviceOwner,
      binding_host_id: hostId, binding_vif_type: binding.vifType, binding_vif_details: JSON.stringify(binding.vifDetails),
      binding_profile: JSON.stringify(b['binding:profile'] ?? {}), binding_vnic_type: vnicType, port_security_enabled: portSecurity,
      allowed_address_pairs: (portMac) => JSON.stringify(checkAddressPairs(b.allowed_address_pairs ?? [], portMac)),
      planned, securityGroups, quota: quotaDefaults(deps), now: now(),
    });
    const row = (await getPort(deps.db, id))!;
    const port = await renderOne(deps, caller, id, network);
    await publish(deps, req, 'create', port, row, network);
    notifyMembersChanged(deps, req.ctx, securityGroups);
    reply.code(201);
    return { port };
  });

  app.put('/v2.0/ports/:id', { schema: { body: updateSchema } }, async (req) => {
    const caller = callerOf(deps, req);
    const { port: row, network } = await loadPort(deps, caller, idParam(req));
    const b = bodyOf<Partial<PortBody>>(req, 'port');
    const target = portTarget({ project_id: row.project_id, device_owner: b.device_owner ?? row.device_owner }, network);
    enforce(deps, caller, 'update_port', portTarget(row, network));
    enforcePortAttributes(deps, caller, 'update_port', b, target);
    if (b.device_owner !== undefined && b.device_owner !== row.device_owner && (PROTECTED_OWNERS.has(b.device_owner) || PROTECTED_OWNERS.has(row.device_owner))) {
      throw invalidInput(`device_owner ${PROTECTED_OWNERS.has(b.device_owner) ? b.device_owner : row.device_owner} is reserved for ports the networking service manages`);
    }
    const changes: Record<string, unknown> = {};
    for (const k of ['name', 'description', 'admin_state_up', 'device_id', 'device_owner'] as const) if (b[k] !== undefined) changes[k] = b[k];
    if (b.mac_address !== undefined) {
      const mac = normalizeMac(b.mac_address);
      if (!mac) throw invalidInput(`'${b.mac_address}' is not a valid MAC address`);
      if (row.binding_host_id && mac !== row.mac_address) throw new NeutronError(409, 'PortBound', `Unable to complete operation on port ${row.id}, port is already bound, port type: ${row.binding_vif_type}, old_mac ${row.mac_address}, new_mac ${mac}.`);
      changes.mac_address = mac;
    }
    const portSecurity = b.port_security_enabled ?? Boolean(row.port_security_enabled);
    const currentGroups = (await securityGroupsOf(deps.db, [row.id])).get(row.id) ?? [];
    const groups = b.security_groups === undefined ? currentGroups : await checkSecurityGroups(deps.db, b.security_groups, row.project_id, caller.isAdmin);
    const mac = (changes.mac_address as string | undefined) ?? row.mac_address;
    const pairs = b.allowed_address_pairs === undefined ? JSON.parse(row.allowed_address_pairs) as unknown[] : checkAddressPairs(b.allowed_address_pairs, mac);
    checkPortSecurity({ enabled: portSecurity, securityGroups: groups, pairs });
    changes.port_security_enabled = portSecurity;
    changes.allowed_address_pairs = JSON.stringify(pairs);
    const hostId = b['binding:host_id'] ?? row.binding_host_id;
    const binding = bindPort({
      hostId, vnicType: b['binding:vnic_type'] ?? row.binding_vnic_type, deviceOwner: (changes.device_owner as string | undefined) ?? row.device_owner,
      portSecurityEnabled: portSecurity, agentWired: agentWired(deps), networkId: network.id, portId: row.id,
    });
    // A port its agent already reported up on the same host stays ACTIVE through an update (the agent rewires in place).
    const staysUp = binding.status === 'DOWN' && binding.vifType === 'bridge' && hostId === row.binding_host_id && row.status === 'ACTIVE';
    Object.assign(changes, {
      binding_host_id: hostId, binding_vnic_type: b['binding:vnic_type'] ?? row.binding_vnic_type, binding_vif_type: binding.vifType,
      binding_vif_details: JSON.stringify(binding.vifDetails), status: staysUp ? 'ACTIVE' : binding.status,
      ...(b['binding:profile'] !== undefined ? { binding_profile: JSON.stringify(b['binding:profile'] ?? {}) } : {}),
    });
    const expected = expectedRevision(req);
    const current = (await fixedIpsOf(deps.db, [row.id])).get(row.id) ?? [];
    const keep = b.fixed_ips === undefined ? current : current.filter((c) => b.fixed_ips!.some((f) => f.ip_address !== undefined && normalizeIpLoose(f.ip_address) === c.ip_address && (f.subnet_id === undefined || f.subnet_id === c.subnet_id)));
    const wanted = b.fixed_ips?.filter((f) => !keep.some((k) => f.ip_address !== undefined && normalizeIpLoose(f.ip_address) === k.ip_address));
    const planned = wanted === undefined ? [] : planFixedIps(network.id, await subnetsOfNetwork(deps.db, network.id), wanted, { mayUseGateway: row.device_owner === 'network:router_interface' });
    checkFixedIpCount(deps, keep.length + planned.length);
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.db.transaction().execute(async (tx) => {
          if (!await touchRow(tx, 'ports', row.id, { expected, changes, now: now() })) throw notFound('Port', row.id);
          if (b.fixed_ips !== undefined) {
            for (const c of current) if (!keep.includes(c)) await releaseAllocation(tx, row.id, c.ip_address);
            await claimFixedIps(tx, { networkId: network.id, portId: row.id, mac, planned });
          }
          if (b.security_groups !== undefined) await setSecurityGroups(tx, row.id, groups);
        });
        break;
      } catch (err) {
        if (!(err instanceof AllocationRace) || attempt >= 20) throw err;
      }
    }
    const updated = (await getPort(deps.db, row.id))!;
    const port = await renderOne(deps, caller, row.id, network);
    await publish(deps, req, 'update', port, updated, network);
    // Remote-group members are addresses: agents refetch when the port's groups or addresses change.
    if (b.security_groups !== undefined || b.fixed_ips !== undefined || b.allowed_address_pairs !== undefined) notifyMembersChanged(deps, req.ctx, [...currentGroups, ...groups]);
    if (row.binding_host_id && row.binding_host_id !== updated.binding_host_id) {
      deps.events.agents(req.ctx, 'port_delete', { portId: row.id, networkId: row.network_id, hostId: row.binding_host_id });
    }
    return { port };
  });

  app.delete('/v2.0/ports/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { port, network } = await loadPort(deps, caller, idParam(req));
    enforce(deps, caller, 'delete_port', portTarget(port, network));
    if (PROTECTED_OWNERS.has(port.device_owner)) {
      throw new NeutronError(409, 'ServicePortInUse', `Port ${port.id} cannot be deleted directly via the port API: has device owner ${port.device_owner}.`);
    }
    await deletePort(deps, req, port);
    reply.code(204);
  });
}

function checkFixedIpCount(deps: NetworkApiDeps, count: number): void {
  if (count > deps.options.max_fixed_ips_per_port) throw new NeutronError(400, 'InvalidInput', 'Invalid input for operation: Exceeded maximum amount of fixed ips per port.');
}

const normalizeIpLoose = (text: string): string => normalizeIp(text) ?? text;

/** Deletes a port (checked by the caller), releasing its addresses; tells agents and listeners. */
export async function deletePort(deps: NetworkApiDeps, req: FastifyRequest, port: PortRow): Promise<void> {
  const expected = expectedRevision(req);
  // Floating IPs on the port are detached with it: their routers' L3 hosts drop the NAT.
  const routers = await deps.db.selectFrom('floating_ips').select('router_id').where('port_id', '=', port.id).execute();
  const groups = (await securityGroupsOf(deps.db, [port.id])).get(port.id) ?? [];
  await deps.db.transaction().execute(async (tx) => {
    if (expected !== undefined) await touchRow(tx, 'ports', port.id, { expected, now: now() });
    await deletePortRows(tx, port.id);
  });
  deps.events.resourceChanged(req.ctx, 'port', 'delete', { port_id: port.id });
  const routerIds = [...new Set(routers.flatMap((r) => r.router_id ?? []))];
  if (routerIds.length) await routersChanged(deps, req.ctx, routerIds);
  deps.events.agents(req.ctx, 'port_delete', { portId: port.id, networkId: port.network_id, hostId: port.binding_host_id });
  deps.events.agents(req.ctx, 'network_ports_changed', { networkId: port.network_id });
  notifyMembersChanged(deps, req.ctx, groups);
}
