// Subnets: IPv4 and IPv6 ranges on a network, with allocation pools, gateway, DNS servers and host routes; no two
// subnets of one network overlap, and a subnet holding allocations cannot be deleted.
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { getNetwork } from '../db/networks-repo.ts';
import { countAllocations, deleteSubnetRow, getSubnet, insertSubnet, listSubnets, subnetsOfNetwork } from '../db/subnets-repo.ts';
import { tagsOf, touchRow } from '../db/standard-attrs.ts';
import { checkQuota } from '../db/quotas-repo.ts';
import type { NetworkRow, SubnetRow } from '../db/tables.ts';
import { invalidInput, notFound, subnetInUse } from '../domain/errors.ts';
import { checkDns, checkGateway, checkNewSubnet, checkRoutes, parseSubnetCidr } from '../domain/subnet-input.ts';
import type { SubnetRequest } from '../domain/subnet-input.ts';
import { formatPools, inPools, parsePools } from '../domain/ipam.ts';
import { formatIp, parseIp } from '../domain/ip-address.ts';
import { callerOf, listScope, can, enforce, idParam, now, owningProject } from './deps.ts';
import type { Caller, NetworkApiDeps } from './deps.ts';
import { listResponse, showFields } from './list-query.ts';
import { bodyOf, expectedRevision } from './request-helpers.ts';
import { subnetView } from './views.ts';
import { bool, description, envelope, name, uuidish } from './schemas/common.ts';
import { loadNetwork } from './networks.ts';
import { quotaDefaults } from './quotas.ts';

const ipText = { type: 'string', minLength: 2, maxLength: 64 } as const;
const pools = { type: 'array', maxItems: 100, items: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: ipText, end: ipText } } } as const;
const routes = { type: 'array', maxItems: 100, items: { type: 'object', additionalProperties: false, required: ['destination', 'nexthop'], properties: { destination: ipText, nexthop: ipText } } } as const;
const dns = { type: 'array', maxItems: 5, items: ipText } as const;
const v6mode = { type: ['string', 'null'], enum: ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless', null] } as const;
const editable = { name, description, enable_dhcp: bool, allocation_pools: pools, host_routes: routes, dns_nameservers: dns, gateway_ip: { type: ['string', 'null'], maxLength: 64 } };
const createSchema = envelope('subnet', {
  ...editable, network_id: uuidish, ip_version: { type: 'integer', enum: [4, 6] }, cidr: { type: 'string', maxLength: 64 },
  ipv6_ra_mode: v6mode, ipv6_address_mode: v6mode, tenant_id: uuidish, project_id: uuidish,
}, ['network_id', 'ip_version', 'cidr']);
const updateSchema = envelope('subnet', editable);

type SubnetBody = SubnetRequest & { name?: string; description?: string; enable_dhcp?: boolean; network_id: string; tenant_id?: string; project_id?: string };

export const subnetTarget = (row: { project_id: string }, net: NetworkRow) => ({
  project_id: row.project_id, 'network:tenant_id': net.project_id, shared: Boolean(net.shared),
});

export async function loadSubnet(deps: NetworkApiDeps, caller: Caller, id: string): Promise<{ subnet: SubnetRow; network: NetworkRow }> {
  const subnet = await getSubnet(deps.db, id);
  const network = subnet && await getNetwork(deps.db, subnet.network_id);
  if (!subnet || !network || !can(deps, caller, 'get_subnet', subnetTarget(subnet, network))) throw notFound('Subnet', id);
  return { subnet, network };
}

async function render(deps: NetworkApiDeps, rows: SubnetRow[]) {
  const tags = await tagsOf(deps.db, rows.map((r) => r.id));
  return rows.map((r) => subnetView(r, tags.get(r.id) ?? []));
}

export function registerSubnets(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/subnets', async (req) => {
    const caller = callerOf(deps, req);
    const rows = await listSubnets(deps.db, listScope(deps, caller));
    const networks = new Map<string, NetworkRow | undefined>();
    const visible: SubnetRow[] = [];
    for (const r of rows) {
      if (!networks.has(r.network_id)) networks.set(r.network_id, await getNetwork(deps.db, r.network_id));
      const net = networks.get(r.network_id);
      if (net && can(deps, caller, 'get_subnet', subnetTarget(r, net))) visible.push(r);
    }
    return listResponse(req, await render(deps, visible), { collection: 'subnets', path: '/v2.0/subnets', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/subnets/:id', async (req) => {
    const { subnet } = await loadSubnet(deps, callerOf(deps, req), idParam(req));
    return { subnet: showFields(req, (await render(deps, [subnet]))[0]) };
  });

  app.post('/v2.0/subnets', { schema: { body: createSchema } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = bodyOf<SubnetBody>(req, 'subnet');
    const network = await loadNetwork(deps, caller, b.network_id);
    const project = owningProject(caller, b);
    enforce(deps, caller, 'create_subnet', subnetTarget({ project_id: project }, network));
    const id = randomUUID();
    const ts = now();
    await deps.db.transaction().execute(async (tx) => {
      // Inside the transaction, so two overlapping requests on one network cannot both pass (SQLite serialises them).
      const checked = checkNewSubnet(b, (await subnetsOfNetwork(tx, network.id)).map((s) => s.cidr));
      await checkQuota(tx, project, 'subnet', quotaDefaults(deps));
      await insertSubnet(tx, {
        id, project_id: project, description: b.description ?? '', revision_number: 1, created_at: ts, updated_at: ts,
        name: b.name ?? '', network_id: network.id, ip_version: b.ip_version, cidr: checked.cidrText, gateway_ip: checked.gatewayIp,
        enable_dhcp: b.enable_dhcp ?? true, dns_nameservers: JSON.stringify(checked.dnsNameservers), host_routes: JSON.stringify(checked.hostRoutes),
        allocation_pools: JSON.stringify(checked.pools), ipv6_ra_mode: b.ipv6_ra_mode ?? null, ipv6_address_mode: b.ipv6_address_mode ?? null,
      });
      await touchRow(tx, 'networks', network.id, { now: ts });
    });
    const subnet = (await render(deps, [(await getSubnet(deps.db, id))!]))[0];
    deps.events.resourceChanged(req.ctx, 'subnet', 'create', { subnet });
    deps.events.agents(req.ctx, 'subnet_update', { networkId: network.id, subnetId: id });
    reply.code(201);
    return { subnet };
  });

  app.put('/v2.0/subnets/:id', { schema: { body: updateSchema } }, async (req) => {
    const caller = callerOf(deps, req);
    const { subnet: row, network } = await loadSubnet(deps, caller, idParam(req));
    enforce(deps, caller, 'update_subnet', subnetTarget(row, network));
    const b = bodyOf<Partial<SubnetBody>>(req, 'subnet');
    const cidr = parseSubnetCidr(row.cidr, row.ip_version);
    const changes: Record<string, unknown> = {};
    if (b.name !== undefined) changes.name = b.name;
    if (b.description !== undefined) changes.description = b.description;
    if (b.enable_dhcp === false && (row.ipv6_ra_mode || row.ipv6_address_mode)) throw invalidInput('Cannot disable enable_dhcp with ipv6 attributes set');
    if (b.enable_dhcp !== undefined) changes.enable_dhcp = b.enable_dhcp;
    if (b.dns_nameservers !== undefined) changes.dns_nameservers = JSON.stringify(checkDns(b.dns_nameservers));
    if (b.host_routes !== undefined) changes.host_routes = JSON.stringify(checkRoutes(cidr, b.host_routes));
    if (b.gateway_ip !== undefined || b.allocation_pools !== undefined) {
      const gwText = b.gateway_ip !== undefined ? b.gateway_ip : row.gateway_ip;
      const gw = checkGateway(cidr, gwText) ?? undefined;
      const poolText = b.allocation_pools ?? JSON.parse(row.allocation_pools);
      const parsed = parsePools(cidr, poolText, gw);
      // Shrinking pools may not strand addresses already handed out from them.
      for (const { ip_address } of await deps.db.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', row.id).execute()) {
        const v = parseIp(ip_address)!.value;
        if (b.allocation_pools !== undefined && !inPools(parsed, v) && ip_address !== row.gateway_ip) {
          throw invalidInput(`allocation pools no longer include the allocated address ${ip_address}`);
        }
        if (gw === v) throw invalidInput(`Gateway ip ${gwText} conflicts with the allocated address ${ip_address}`);
      }
      changes.gateway_ip = gw === undefined ? null : formatIp(cidr.version, gw);
      changes.allocation_pools = JSON.stringify(formatPools(cidr.version, parsed));
    }
    if (!await touchRow(deps.db, 'subnets', row.id, { expected: expectedRevision(req), changes, now: now() })) throw notFound('Subnet', row.id);
    const subnet = (await render(deps, [(await getSubnet(deps.db, row.id))!]))[0];
    deps.events.resourceChanged(req.ctx, 'subnet', 'update', { subnet });
    deps.events.agents(req.ctx, 'subnet_update', { networkId: row.network_id, subnetId: row.id });
    return { subnet };
  });

  app.delete('/v2.0/subnets/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { subnet, network } = await loadSubnet(deps, caller, idParam(req));
    enforce(deps, caller, 'delete_subnet', subnetTarget(subnet, network));
    const expected = expectedRevision(req);
    await deps.db.transaction().execute(async (tx) => {
      if (expected !== undefined) await touchRow(tx, 'subnets', subnet.id, { expected, now: now() });
      // DHCP ports give up their address on the subnet (Neutron's auto-delete); any other holder keeps it in use.
      await tx.deleteFrom('ip_allocations').where('subnet_id', '=', subnet.id)
        .where('port_id', 'in', tx.selectFrom('ports').select('id').where('network_id', '=', network.id).where('device_owner', '=', 'network:dhcp')).execute();
      if (await countAllocations(tx, subnet.id) > 0) throw subnetInUse(subnet.id);
      await deleteSubnetRow(tx, subnet.id);
      await touchRow(tx, 'networks', network.id, { now: now() });
    });
    deps.events.resourceChanged(req.ctx, 'subnet', 'delete', { subnet_id: subnet.id });
    deps.events.agents(req.ctx, 'subnet_update', { networkId: network.id, subnetId: subnet.id });
    reply.code(204);
  });
}
