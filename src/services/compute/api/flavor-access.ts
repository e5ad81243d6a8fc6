// Flavor access lists (os-flavor-access and the add/removeTenantAccess actions): admins share private flavors.
import type { FastifyInstance } from 'fastify';
import { isUniqueViolation } from '#lib/db/index.ts';
import { accessExists, accessListPublic, accessNotFound, accessToPublic, flavorNotFound } from '../domain/errors.ts';
import { addAccess, getFlavor, listAccess, removeAccess } from '../db/flavors-repo.ts';
import type { Flavor } from '../domain/flavor.ts';
import { authorize, callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { flavorIdParam } from './flavors.ts';
import { flavorActionBody } from './schemas/flavors.ts';

async function accessList(deps: ComputeApiDeps, flavor: Flavor) {
  return { flavor_access: (await listAccess(deps.db, flavor.id)).map((tenant_id) => ({ flavor_id: flavor.id, tenant_id })) };
}

type ActionBody = { addTenantAccess?: { tenant: string }; removeTenantAccess?: { tenant: string } };

export function registerFlavorAccess(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/flavors/:flavor_id/os-flavor-access', async (req) => {
    authorize(deps, callerOf(deps, req), 'os_compute_api:os-flavor-access');
    const id = flavorIdParam(req);
    const flavor = await getFlavor(deps.db, id);
    if (!flavor) throw flavorNotFound(id);
    if (flavor.isPublic) throw accessListPublic();
    return accessList(deps, flavor);
  });

  app.post('/v2.1/flavors/:flavor_id/action', { schema: { body: flavorActionBody } }, async (req) => {
    const caller = callerOf(deps, req);
    const body = req.body as ActionBody;
    const id = flavorIdParam(req);
    if (body.addTenantAccess) {
      authorize(deps, caller, 'os_compute_api:os-flavor-access:add_tenant_access');
      const flavor = await getFlavor(deps.db, id);
      if (!flavor) throw flavorNotFound(id);
      if (flavor.isPublic) throw accessToPublic();
      const { tenant } = body.addTenantAccess;
      try {
        await addAccess(deps.db, id, tenant);
      } catch (err) {
        throw isUniqueViolation(err) ? accessExists(id, tenant) : err;
      }
      return accessList(deps, flavor);
    }
    authorize(deps, caller, 'os_compute_api:os-flavor-access:remove_tenant_access');
    const flavor = await getFlavor(deps.db, id);
    if (!flavor) throw flavorNotFound(id);
    const { tenant } = body.removeTenantAccess!;
    if (!await removeAccess(deps.db, id, tenant)) throw accessNotFound(id, tenant);
    return accessList(deps, flavor);
  });
}
