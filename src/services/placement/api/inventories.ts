// /resource_providers/{uuid}/inventories[/{resource_class}]: a provider's inventories, each change generation-checked.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { concurrentUpdate } from '../domain/errors.ts';
import { inventoryFromInput, validateInventory } from '../domain/inventory.ts';
import type { Inventory, InventoryInput } from '../domain/inventory.ts';
import { changeInventories, providerInventories } from '../db/inventories-repo.ts';
import { requireProvider } from '../db/providers-repo.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize, pathUuid } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { validBody } from './validate.ts';
import * as schemas from './schemas/providers.ts';
import { inventoriesView, inventoryView } from './views.ts';

type Params = { uuid: string; resource_class?: string };

export function registerInventories(app: FastifyInstance, deps: PlacementApiDeps): void {
  const { db } = deps.store;
  const params = (req: FastifyRequest) => {
    const p = req.params as Params;
    return { uuid: pathUuid(p.uuid), rc: p.resource_class ?? '' };
  };
  /** Body inventories checked as Placement checks them (reserved against total, per microversion), before any write. */
  const checked = (req: FastifyRequest, uuid: string, rc: string, input: InventoryInput): Inventory => {
    const inv = inventoryFromInput(input);
    try {
      validateInventory(rc, uuid, inv, atLeast(req, 26));
    } catch (err) {
      throw new BadRequest(`Unable to update inventory for resource provider ${uuid}: ${(err as Error).message}`);
    }
    return inv;
  };

  app.get('/resource_providers/:uuid/inventories', async (req) => {
    authorize(deps, req, 'placement:resource_providers:inventories:list');
    const { uuid } = params(req);
    const rp = await requireProvider(db, uuid);
    return inventoriesView(rp.generation, await providerInventories(db, uuid));
  });

  app.post('/resource_providers/:uuid/inventories', async (req, reply) => {
    authorize(deps, req, 'placement:resource_providers:inventories:create');
    const { uuid } = params(req);
    await requireProvider(db, uuid);
    const body = validBody<InventoryInput & { resource_class: string }>(schemas.inventoryPost, req.body);
    const inv = checked(req, uuid, body.resource_class, body);
    const result = await changeInventories(deps.store, uuid, undefined, (current) => {
      if (current.has(body.resource_class)) throw concurrentUpdate(`Update conflict: Inventory for '${body.resource_class}' on resource provider '${uuid}' already exists.`);
      return { set: new Map([[body.resource_class, inv]]), remove: [] };
    });
    reply.header('location', `${req.protocol}://${req.headers.host ?? req.host}/resource_providers/${uuid}/inventories/${body.resource_class}`);
    return reply.code(201).send({ ...inventoryView(result.inventories.get(body.resource_class)!), resource_provider_generation: result.generation });
  });

  app.put('/resource_providers/:uuid/inventories', async (req) => {
    authorize(deps, req, 'placement:resource_providers:inventories:update');
    const { uuid } = params(req);
    await requireProvider(db, uuid);
    const body = validBody<{ resource_provider_generation: number; inventories: Record<string, InventoryInput> }>(schemas.inventoriesPut, req.body);
    const wanted = new Map(Object.entries(body.inventories).map(([rc, input]) => [rc, checked(req, uuid, rc, input)]));
    const result = await changeInventories(deps.store, uuid, body.resource_provider_generation, (current) => ({
      set: wanted, remove: [...current.keys()].filter((rc) => !wanted.has(rc)),
    }));
    return inventoriesView(result.generation, result.inventories);
  });

  app.delete('/resource_providers/:uuid/inventories', async (req, reply) => {
    since(req, 5, 405);
    authorize(deps, req, 'placement:resource_providers:inventories:delete');
    const { uuid } = params(req);
    await requireProvider(db, uuid);
    await changeInventories(deps.store, uuid, undefined, (current) => ({ set: new Map(), remove: [...current.keys()] }));
    return reply.code(204).send();
  });

  app.get('/resource_providers/:uuid/inventories/:resource_class', async (req) => {
    authorize(deps, req, 'placement:resource_providers:inventories:show');
    const { uuid, rc } = params(req);
    const rp = await requireProvider(db, uuid);
    const inv = (await providerInventories(db, uuid)).get(rc);
    if (!inv) throw new NotFound(`No inventory of class ${rc} for ${uuid}`);
    return { ...inventoryView(inv), resource_provider_generation: rp.generation };
  });

  app.put('/resource_providers/:uuid/inventories/:resource_class', async (req) => {
    authorize(deps, req, 'placement:resource_providers:inventories:update');
    const { uuid, rc } = params(req);
    await requireProvider(db, uuid);
    const body = validBody<InventoryInput & { resource_provider_generation: number }>(schemas.inventoryPutOne, req.body);
    const inv = checked(req, uuid, rc, body);
    const result = await changeInventories(deps.store, uuid, body.resource_provider_generation, (current) => {
      if (!current.has(rc)) throw new BadRequest(`No inventory record with resource class for resource provider ${uuid}: No inventory of class ${rc} found.`);
      return { set: new Map([[rc, inv]]), remove: [] };
    });
    return { ...inventoryView(result.inventories.get(rc)!), resource_provider_generation: result.generation };
  });

  app.delete('/resource_providers/:uuid/inventories/:resource_class', async (req, reply) => {
    authorize(deps, req, 'placement:resource_providers:inventories:delete');
    const { uuid, rc } = params(req);
    await requireProvider(db, uuid);
    await changeInventories(deps.store, uuid, undefined, (current) => {
      if (!current.has(rc)) throw new NotFound(`No inventory of class ${rc} found for delete`);
      return { set: new Map(), remove: [rc] };
    });
    return reply.code(204).send();
  });
}
