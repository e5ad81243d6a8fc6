// Floating IPs: an address on an external network (held by a network:floatingip port, so IPAM guards it), associated
// with a fixed IP of a port whose subnet a router connects to that external network.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import { isUniqueViolation } from '#lib/db/index.ts';
import { deletePortRows, fixedIpsOf } from '../db/ports-repo.ts';
import { subnetsOfNetwork } from '../db/subnets-repo.ts';
import { FLOATING_IP_OWNER, getFloatingIp, listFloatingIps, routerBetween } from '../db/routers-repo.ts';
import { tagsOf, touchRow } from '../db/standard-attrs.ts';
import { checkQuota } from '../db/quotas-repo.ts';
import type { FloatingIpRow, NetworkTables } from '../db/tables.ts';
import { externalGatewayForFloatingIpNotFound, floatingIpPortAlreadyAssociated, invalidInput, networkNotExternal, notFound } from '../domain/errors.ts';
import { normalizeIp } from '../domain/ip-address.ts';
import { agentWired, callerOf, listScope, can, enforce, enforceAttributes, idParam, now, owningProject } from './deps.ts';
import type { Caller, NetworkApiDeps } from './deps.ts';
import { listResponse, showFields } from './list-query.ts';
import { bodyOf, expectedRevision } from './request-helpers.ts';
import { floatingIpView } from './views.ts';
import { description, envelope, uuidish } from './schemas/common.ts';
import { loadNetwork } from './networks.ts';
import { loadPort } from './ports.ts';
import { quotaDefaults } from './quotas.ts';
import { planFixedIps } from './port-addresses.ts';
import { createPortRecords } from './port-records.ts';
import { routersChanged } from './l3-scheduler.ts';

const ip = { type: ['string', 'null'], maxLength: 64 } as const;
const createSchema = envelope('floatingip', {
  floating_network_id: uuidish, floating_ip_address: { type: 'string', maxLength: 64 }, subnet_id: uuidish, port_id: { type: ['string', 'null'], maxLength: 64 },
  fixed_ip_address: ip, description, tenant_id: uuidish, project_id: uuidish,
}, ['floating_network_id']);
const updateSchema = envelope('floatingip', { port_id: { type: ['string', 'null'], maxLength: 64 }, fixed_ip_address: ip, description });

type FipBody = {
  floating_network_id: string; floating_ip_address?: string; subnet_id?: string; port_id?: string | null; fixed_ip_address?: string | null;
  description?: string; project_id?: string; tenant_id?: string;
};

const target = (f: { project_id: string }) => ({ project_id: f.project_id });

export async function loadFip(deps: NetworkApiDeps, caller: Caller, id: string): Promise<FloatingIpRow> {
  const f = await getFloatingIp(deps.db, id);
  if (!f || !can(deps, caller, 'get_floatingip', target(f))) throw notFound('FloatingIP', id);
  return f;
}

async function render(deps: NetworkApiDeps, rows: FloatingIpRow[]) {
  const tags = await tagsOf(deps.db, rows.map((r) => r.id));
  return rows.map((r) => floatingIpView(r, tags.get(r.id) ?? []));
}

/**
 * Resolves what a floating IP would be associated with: the port's fixed IPv4 address (the one asked for, or its
 * first) and the router that joins that address's subnet to the external network.
 */
async function association(deps: NetworkApiDeps, caller: Caller, fip: { project_id: string; floating_network_id: string }, portId: string, fixedIp: string | null | undefined) {
  const { port } = await loadPort(deps, caller, portId);
  if (!caller.isAdmin && port.project_id !== fip.project_id) throw notFound('Port', portId);
  const ips = ((await fixedIpsOf(deps.db, [port.id])).get(port.id) ?? []).filter((i) => !i.ip_address.includes(':'));
  const wanted = fixedIp ? normalizeIp(fixedIp) : undefined;
  const chosen = wanted ? ips.find((i) => i.ip_address === wanted) : ips[0];
  if (!chosen) {
    throw fixedIp ? invalidInput(`Port ${port.id} does not have fixed ip ${fixedIp}`) : invalidInput(`Port ${port.id} does not have any IPv4 address`);
  }
  const routerId = await routerBetween(deps.db, chosen.subnet_id, fip.floating_network_id);
  if (!routerId) throw externalGatewayForFloatingIpNotFound(chosen.subnet_id, fip.floating_network_id, port.id);
  // ACTIVE once the router's L3 host has wired it (at once with the noop data plane, which wires nothing).
  return { port_id: port.id, fixed_ip_address: chosen.ip_address, router_id: routerId, status: agentWired(deps) ? 'DOWN' : 'ACTIVE' };
}

async function saveAssociation(db: Kysely<NetworkTables>, fip: FloatingIpRow, changes: Record<string, unknown>, expected?: number): Promise<void> {
  try {
    if (!await touchRow(db, 'floating_ips', fip.id, { expected, changes, now: now() })) throw notFound('FloatingIP', fip.id);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw floatingIpPortAlreadyAssociated(fip.id, String(changes.port_id), fip.floating_ip_address);
  }
}

async function publish(deps: NetworkApiDeps, req: FastifyRequest, action: 'create' | 'update', floatingip: Record<string, unknown>, routers: (string | null)[]): Promise<void> {
  deps.events.resourceChanged(req.ctx, 'floatingip', action, { floatingip });
  const routerIds = [...new Set(routers.filter((r): r is string => !!r))];
  if (routerIds.length) await routersChanged(deps, req.ctx, routerIds);
}

export function registerFloatingIps(app: FastifyInstance, deps: NetworkApiDeps): void {
  app.get('/v2.0/floatingips', async (req) => {
    const caller = callerOf(deps, req);
    const rows = (await listFloatingIps(deps.db, listScope(deps, caller))).filter((f) => can(deps, caller, 'get_floatingip', target(f)));
    return listResponse(req, await render(deps, rows), { collection: 'floatingips', path: '/v2.0/floatingips', maxLimit: deps.options.pagination_max_limit });
  });

  app.get('/v2.0/floatingips/:id', async (req) => {
    const f = await loadFip(deps, callerOf(deps, req), idParam(req));
    return { floatingip: showFields(req, (await render(deps, [f]))[0]) };
  });

  app.post('/v2.0/floatingips', { schema: { body: createSchema } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const b = bodyOf<FipBody>(req, 'floatingip');
    const project = owningProject(caller, b);
    enforce(deps, caller, 'create_floatingip', { project_id: project });
    enforceAttributes(deps, caller, 'create_floatingip', b as Record<string, unknown>, { project_id: project });
    const network = await loadNetwork(deps, caller, b.floating_network_id);
    if (!network.router_external) throw networkNotExternal(network.id);
    const assoc = b.port_id ? await association(deps, caller, { project_id: project, floating_network_id: network.id }, b.port_id, b.fixed_ip_address) : undefined;
    const request = b.floating_ip_address !== undefined || b.subnet_id !== undefined
      ? [{ ...(b.subnet_id !== undefined ? { subnet_id: b.subnet_id } : {}), ...(b.floating_ip_address !== undefined ? { ip_address: b.floating_ip_address } : {}) }] : undefined;
    const planned = planFixedIps(network.id, (await subnetsOfNetwork(deps.db, network.id)).filter((s) => s.ip_version === 4), request, { mayUseGateway: false });
    if (!planned.length) throw invalidInput(`Network ${network.id} has no IPv4 subnet for floating IPs`);
    const id = randomUUID();
    const ts = now();
    try {
      await deps.db.transaction().execute(async (tx) => {
        await checkQuota(tx, project, 'floatingip', quotaDefaults(deps));
        const port = await createPortRecords(deps.db, {
          project_id: '', description: '', name: '', network_id: network.id, admin_state_up: true, status: 'N/A', device_id: id,
          device_owner: FLOATING_IP_OWNER, binding_host_id: '', binding_vif_type: 'unbound', binding_vif_details: '{}', binding_profile: '{}',
          binding_vnic_type: 'normal', port_security_enabled: false, allowed_address_pairs: () => '[]', planned: planned.slice(0, 1), securityGroups: [], now: ts,
        }, tx);
        await tx.insertInto('floating_ips').values({
          id, project_id: project, description: b.description ?? '', revision_number: 1, created_at: ts, updated_at: ts,
          floating_network_id: network.id, floating_ip_address: port.fixedIps[0].ip_address, floating_port_id: port.id,
          port_id: assoc?.port_id ?? null, fixed_ip_address: assoc?.fixed_ip_address ?? null, router_id: assoc?.router_id ?? null, status: assoc?.status ?? 'DOWN',
        }).execute();
      });
    } catch (err) {
      if (isUniqueViolation(err) && assoc) throw floatingIpPortAlreadyAssociated(id, assoc.port_id, b.floating_ip_address ?? '');
      throw err;
    }
    const floatingip = (await render(deps, [(await getFloatingIp(deps.db, id))!]))[0];
    await publish(deps, req, 'create', floatingip, [assoc?.router_id ?? null]);
    reply.code(201);
    return { floatingip };
  });

  app.put('/v2.0/floatingips/:id', { schema: { body: updateSchema } }, async (req) => {
    const caller = callerOf(deps, req);
    const f = await loadFip(deps, caller, idParam(req));
    enforce(deps, caller, 'update_floatingip', target(f));
    const b = bodyOf<Partial<FipBody>>(req, 'floatingip');
    const changes: Record<string, unknown> = {};
    if (b.description !== undefined) changes.description = b.description;
    if (b.port_id === null) Object.assign(changes, { port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' });
    else if (b.port_id !== undefined) Object.assign(changes, await association(deps, caller, f, b.port_id, b.fixed_ip_address));
    await saveAssociation(deps.db, f, changes, expectedRevision(req));
    const floatingip = (await render(deps, [(await getFloatingIp(deps.db, f.id))!]))[0];
    await publish(deps, req, 'update', floatingip, [f.router_id, (changes.router_id as string | null | undefined) ?? null]);
    return { floatingip };
  });

  app.delete('/v2.0/floatingips/:id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const f = await loadFip(deps, caller, idParam(req));
    enforce(deps, caller, 'delete_floatingip', target(f));
    const expected = expectedRevision(req);
    await deps.db.transaction().execute(async (tx) => {
      if (expected !== undefined) await touchRow(tx, 'floating_ips', f.id, { expected, now: now() });
      await tx.deleteFrom('tags').where('resource_id', '=', f.id).execute();
      await tx.deleteFrom('floating_ips').where('id', '=', f.id).execute();
      await deletePortRows(tx, f.floating_port_id);
    });
    deps.events.resourceChanged(req.ctx, 'floatingip', 'delete', { floatingip_id: f.id });
    if (f.router_id) await routersChanged(deps, req.ctx, [f.router_id]);
    reply.code(204);
  });
}
