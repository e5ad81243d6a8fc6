// Extra routes of routers (extensions extraroute and extraroute-atomic): `routes` replaced whole by a router update,
// or added and removed in place by PUT add_extraroutes / remove_extraroutes, each checked against the router's legs
// as Neutron checks them, in the transaction that writes them. A leg whose subnet a route's nexthop needs stays.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { getSubnet } from '../db/subnets-repo.ts';
import { fixedIpsOf } from '../db/ports-repo.ts';
import { getRouter, replaceRoutes, routesOf } from '../db/routers-repo.ts';
import { touchRow } from '../db/standard-attrs.ts';
import type { NetworkTables, RouterRow } from '../db/tables.ts';
import { NeutronError, notFound } from '../domain/errors.ts';
import { checkRoutes, mergeRoutes, normalizeRoutes, routeUsesSubnet } from '../domain/extra-routes.ts';
import type { ExtraRoute, RouterLegs } from '../domain/extra-routes.ts';
import { callerOf, can, enforce, idParam, now } from './deps.ts';
import type { NetworkApiDeps } from './deps.ts';
import { routersChanged } from './l3-scheduler.ts';

type Db = Kysely<NetworkTables>;
const ipText = { type: 'string', maxLength: 64 } as const;

/** The JSON schema of a `routes` list. */
export const routesSchema = {
  type: 'array', maxItems: 1000,
  items: { type: 'object', additionalProperties: false, required: ['destination', 'nexthop'], properties: { destination: ipText, nexthop: ipText } },
} as const;
const atomicSchema = {
  type: 'object', additionalProperties: false, required: ['router'],
  properties: { router: { type: 'object', additionalProperties: false, required: ['routes'], properties: { routes: routesSchema } } },
} as const;

/** Every subnet the router has a leg on (interfaces and gateway) and its own addresses there. */
async function legsOf(db: Db, routerId: string): Promise<RouterLegs> {
  const ports = await db.selectFrom('ports').select('id').where('device_id', '=', routerId).where('device_owner', 'like', 'network:router_%').execute();
  const ips = [...(await fixedIpsOf(db, ports.map((p) => p.id))).values()].flat();
  const cidrs: string[] = [];
  for (const subnetId of new Set(ips.map((i) => i.subnet_id))) {
    const subnet = await getSubnet(db, subnetId);
    if (subnet) cidrs.push(subnet.cidr);
  }
  return { cidrs, addresses: ips.map((i) => i.ip_address) };
}

/** Checks and stores the router's complete routes inside `tx` (the caller bumps the revision). */
export async function setRoutes(deps: NetworkApiDeps, tx: Db, routerId: string, routes: ExtraRoute[]): Promise<void> {
  checkRoutes(routerId, routes, await legsOf(tx, routerId), deps.options.max_routes);
  await replaceRoutes(tx, routerId, routes);
}

/** Refuses to remove the router's leg on a subnet that a route's nexthop needs (409, as Neutron). */
export async function checkLegNotRouted(db: Db, routerId: string, subnetId: string): Promise<void> {
  const subnet = await getSubnet(db, subnetId);
  const routes = (await routesOf(db, [routerId])).get(routerId) ?? [];
  if (subnet && routes.some((r) => routeUsesSubnet(r, subnet.cidr))) {
    throw new NeutronError(409, 'RouterInterfaceInUseByRoute', `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more routes.`);
  }
}

/**
 * PUT add_extraroutes / remove_extraroutes: the change is merged into the routes read in the same transaction that
 * writes them (extraroute-atomic's point: no read-modify-write race through the client). Answers the whole router.
 */
export function registerRouterRoutes(app: FastifyInstance, deps: NetworkApiDeps, view: (row: RouterRow) => Promise<Record<string, unknown>>): void {
  for (const action of ['add', 'remove'] as const) {
    app.put(`/v2.0/routers/:id/${action}_extraroutes`, { schema: { body: atomicSchema } }, async (req) => {
      const caller = callerOf(deps, req);
      const id = idParam(req);
      const r = await getRouter(deps.db, id);
      if (!r || !can(deps, caller, 'get_router', { project_id: r.project_id })) throw notFound('Router', id);
      enforce(deps, caller, `${action}_extraroutes`, { project_id: r.project_id });
      const change = normalizeRoutes((req.body as { router: { routes: ExtraRoute[] } }).router.routes);
      await deps.db.transaction().execute(async (tx) => {
        const current = (await routesOf(tx, [r.id])).get(r.id) ?? [];
        await setRoutes(deps, tx, r.id, mergeRoutes(current, action === 'add' ? { add: change } : { remove: change }));
        await touchRow(tx, 'routers', r.id, { now: now() });
      });
      const router = await view((await getRouter(deps.db, r.id))!);
      deps.events.resourceChanged(req.ctx, 'router', 'update', { router });
      await routersChanged(deps, req.ctx, [r.id]);
      return { router };
    });
  }
}
