// Networks: CRUD with shared/external visibility, admin-only provider attributes, and a VXLAN VNI (or the requested
// segment) claimed in the database for every network.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { deletePortRows } from '../db/ports-repo.ts';
import { allocateSegment, countPortsOnNetwork, deleteNetworkRows, getNetwork, insertNetwork, listNetworks, subnetIdsByNetwork } from '../db/networks-repo.ts';
import { tagsOf, touchRow } from '../db/standard-attrs.ts';
import { checkQuota } from '../db/quotas-repo.ts';
import type { NetworkRow } from '../db/tables.ts';
import { invalidInput, networkInUse, notFound } from '../domain/errors.ts';
import { parseVniRange } from '../domain/segments.ts';
import { callerOf, listScope, can, enforce, enforceAttributes, idParam, now, owningProject } from './deps.ts';
import type { Caller, NetworkApiDeps } from './deps.ts';
import { listResponse, showFields } from './list-query.ts';
import { bodyOf, expectedRevision } from './request-helpers.ts';
import { networkView } from './views.ts';
import { bool, description, envelope, name, uuidish } from './schemas/common.ts';
import { quotaDefaults } from './quotas.ts';

const fields = {
  name, description, admin_state_up: bool, shared: bool, 'router:external': bool, port_security_enabled: bool,
  mtu: { type: 'integer', minimum: 68, maximum: 65535 },
  'provider:network_type': { type: 'string', enum: ['flat', 'vlan', 'vxlan', 'local'] },
  'provider:physical_network': { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' },
  'provider:segmentation_id': { type: 'integer', minimum: 0 },
};
const createSchema = envelope('network', { ...fields, tenant_id: uuidish, project_id: uuidish, availability_zone_hints: { type: 'array', maxItems: 0 } });
const updateSchema = envelope('network', fields);

type NetworkBody = {
  name?: string; description?: string; admin_state_up?: boolean; shared?: boolean; 'router:external'?: boolean;
  port_security_enabled?: boolean; mtu?: number; 'provider:network_type'?: string; 'provider:physical_network'?: string;
  'provider:segmentation_id'?: number; tenant_id?: string; project_id?: string;
};

export const networkTarget = (row: NetworkRow) => ({ project_id: row.project_id, shared: Boolean(row.shared), 'router:external': Boolean(row.router_external) });

/** The network if the caller may see it; NetworkNotFound otherwise (another project's network does not exist for them). */
export async function loadNetwork(deps: NetworkApiDeps, caller: Caller, id: string): Promise<NetworkRow> {
  const row = await getNetwork(deps.db, id);
  if (!row || !can(deps, caller, 'get_network', networkTarget(row))) throw notFound('Network', id);
  return row;
}

export async function renderNetworks(deps: NetworkApiDeps, caller: Caller, rows: NetworkRow[]) {
  const ids = rows.map((r) => r.id);
  const [subnets, tags] = await Promise.all([subnetIdsByNetwork(deps.db, ids), tagsOf(deps.db, ids)]);
  return rows.map((row) => networkView(row, {
    subnets: subnets.get(row.id) ?? [], tags: tags.get(row.id) ?? [],
    provider: can(deps, caller, 'get_network:provider:network_type', networkTarget(row)),
  }));
}

interface Segment { networkType: string; physicalNetwork: string | null; segmentationId?: number; mtu: number }

/** Validates provider attributes (Neutron's ML2 type drivers' rules) and picks the segment and its MTU. */
function segmentFor(deps: NetworkApiDeps, b: NetworkBody): Segment {
  const type = b['provider:network_type'] ?? deps.options.tenant_network_type;
  const physnet = b['provider:physical_network'] ?? null;
  const segId = b['provider:segmentation_id'];
  const mtu = deps.options.global_physnet_mtu;
  if (b['provider:network_type'] === undefined && (physnet !== null || segId !== undefined)) throw invalidInput('provider:network_type required');
  switch (type) {
    case 'flat':
      if (physnet === null) throw invalidInput('physical_network required for flat provider network');
      if (segId !== undefined) throw invalidInput(`segmentation_id specified for flat provider network`);
      return { networkType: 'flat', physicalNetwork: physnet, mtu };
    case 'vlan':
      if (physnet === null) throw invalidInput('physical_network required for VLAN provider network');
      if (segId === undefined || segId < 1 || segId > 4094) throw invalidInput('segmentation_id out of range (1 through 4094)');
      return { networkType: 'vlan', physicalNetwork: physnet, segmentationId: segId, mtu };
    case 'vxlan':
      if (physnet !== null) throw invalidInput('provider:physical_network specified for vxlan network');
      if (segId !== undefined && (segId < 1 || segId > 16777215)) throw invalidInput(`segmentation_id out of range (1 through 16777215)`);
      return { networkType: 'vxlan', physicalNetwork: null, segmentationId: segId, mtu: mtu - 50 };
    default:
      if (physnet !== null || segId !== undefined) throw invalidInput('provider:physical_network and provider:segmentation_id not allowed for local network');
      return { networkType: 'local', physicalNetwork: null, mtu };
  }
}

export function registerNetworks(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/networks', async (req) => {
    const caller = callerOf(deps, req);
    const rows = await listNetworks(deps.db, listScope(deps, caller));
    const visible = rows.filter((r) => can(deps, caller, 'get_network', networkTarget(r)));
    return listResponse(req, await renderNetworks(deps, caller, visible), { collection: 'networks', path: '/v2.0/networks', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/networks/:id', async (req) => {
    const caller = callerOf(deps, req);
    const row = await loadNetwork(deps, caller, idParam(req));
    return { network: showFields(req, (await renderNetworks(deps, caller, [row]))[0]) };
  });

  app.post('/v2.0/networks', { schema: { body: createSchema } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = bodyOf<NetworkBody>(req, 'network');
    const project = owningProject(caller, b);
    const target = { project_id: project };
    enforce(deps, caller, 'create_network', target);
    enforceAttributes(deps, caller, 'create_network', b as Record<string, unknown>, target);
    const segment = segmentFor(deps, b);
    if (b.mtu !== undefined && b.mtu > segment.mtu) throw invalidInput(`Requested MTU is too big, maximum is ${segment.mtu}`);
    const id = randomUUID();
    const ts = now();
    await deps.db.transaction().execute(async (tx) => {
      await checkQuota(tx, project, 'network', quotaDefaults(deps));
      await insertNetwork(tx, {
        id, project_id: project, description: b.description ?? '', revision_number: 1, created_at: ts, updated_at: ts,
        name: b.name ?? '', admin_state_up: b.admin_state_up ?? true, status: 'ACTIVE', shared: b.shared ?? false,
        router_external: b['router:external'] ?? false, mtu: b.mtu ?? segment.mtu, port_security_enabled: b.port_security_enabled ?? true,
        network_type: segment.networkType, physical_network: segment.physicalNetwork, segmentation_id: null,
      });
      if (segment.networkType !== 'local' && segment.networkType !== 'flat') {
        const segId = await allocateSegment(tx, {
          networkType: segment.networkType, physicalNetwork: segment.physicalNetwork, networkId: id, requested: segment.segmentationId,
          range: parseVniRange(deps.options.vni_ranges),
        });
        await tx.updateTable('networks').set({ segmentation_id: segId }).where('id', '=', id).execute();
      } else if (segment.networkType === 'flat') {
        await allocateSegment(tx, { networkType: 'flat', physicalNetwork: segment.physicalNetwork, networkId: id, requested: 0 });
      }
    });
    const network = (await renderNetworks(deps, caller, [(await getNetwork(deps.db, id))!]))[0];
    deps.events.resourceChanged(req.ctx, 'network', 'create', { network });
    reply.code(201);
    return { network };
  });

  app.put('/v2.0/networks/:id', { schema: { body: updateSchema } }, async (req) => {
    const caller = callerOf(deps, req);
    const row = await loadNetwork(deps, caller, idParam(req));
    const b = bodyOf<NetworkBody>(req, 'network');
    enforce(deps, caller, 'update_network', networkTarget(row));
    enforceAttributes(deps, caller, 'update_network', b as Record<string, unknown>, networkTarget(row));
    if (b['provider:network_type'] !== undefined || b['provider:physical_network'] !== undefined || b['provider:segmentation_id'] !== undefined) {
      throw invalidInput('Plugin does not support updating provider attributes');
    }
    const maxMtu = row.network_type === 'vxlan' ? deps.options.global_physnet_mtu - 50 : deps.options.global_physnet_mtu;
    if (b.mtu !== undefined && b.mtu > maxMtu) throw invalidInput(`Requested MTU is too big, maximum is ${maxMtu}`);
    const changes = Object.fromEntries(Object.entries({
      name: b.name, description: b.description, admin_state_up: b.admin_state_up, shared: b.shared, router_external: b['router:external'],
      port_security_enabled: b.port_security_enabled, mtu: b.mtu,
    }).filter(([, v]) => v !== undefined));
    if (!await touchRow(deps.db, 'networks', row.id, { expected: expectedRevision(req), changes, now: now() })) throw notFound('Network', row.id);
    const network = (await renderNetworks(deps, caller, [(await getNetwork(deps.db, row.id))!]))[0];
    deps.events.resourceChanged(req.ctx, 'network', 'update', { network });
    deps.events.agents(req.ctx, 'network_update', { networkId: row.id });
    return { network };
  });

  app.delete('/v2.0/networks/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const row = await loadNetwork(deps, caller, idParam(req));
    enforce(deps, caller, 'delete_network', networkTarget(row));
    await deleteNetwork(deps, req, row);
    reply.code(204);
  });
}

async function deleteNetwork(deps: NetworkApiDeps, req: FastifyRequest, row: NetworkRow): Promise<void> {
  const expected = expectedRevision(req);
  const dhcpPorts = await deps.db.transaction().execute(async (tx) => {
    if (expected !== undefined) await touchRow(tx, 'networks', row.id, { expected, now: now() });
    // DHCP ports are the service's own and go with the network, as in Neutron; any other port keeps it in use.
    const dhcp = await tx.selectFrom('ports').select(['id', 'binding_host_id']).where('network_id', '=', row.id).where('device_owner', '=', 'network:dhcp').execute();
    if (await countPortsOnNetwork(tx, row.id) > dhcp.length) throw networkInUse(row.id);
    for (const p of dhcp) await deletePortRows(tx, p.id);
    await deleteNetworkRows(tx, row.id);
    return dhcp;
  });
  for (const p of dhcpPorts) deps.events.agents(req.ctx, 'port_delete', { portId: p.id, networkId: row.id, hostId: p.binding_host_id });
  deps.events.resourceChanged(req.ctx, 'network', 'delete', { network_id: row.id });
  deps.events.agents(req.ctx, 'network_delete', { networkId: row.id });
}
