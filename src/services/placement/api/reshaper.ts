// POST /reshaper (1.30+): move inventories and the allocations that use them between providers in one transaction,
// e.g. VCPU from a compute node to its new NUMA children while servers hold VCPU.
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { PlacementError, PLACEMENT_CODES, concurrentUpdate } from '../domain/errors.ts';
import { inventoryFromInput, validateInventory } from '../domain/inventory.ts';
import type { Inventory, InventoryInput } from '../domain/inventory.ts';
import { applyAllocations } from '../db/allocations-repo.ts';
import { applyInventoryChange, translateInventoryError } from '../db/inventories-repo.ts';
import { getProvider } from '../db/providers-repo.ts';
import { GenerationRace, withRetries } from '../db/transactions.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize, normalizeUuid } from './deps.ts';
import { atLeast, minorOf, since } from './microversion.ts';
import { validBody } from './validate.ts';
import * as schemas from './schemas/allocations.ts';
import { checkClasses, consumerWrite } from './allocations.ts';
import type { ConsumerBody } from './allocations.ts';

interface ReshaperBody {
  inventories: Record<string, { resource_provider_generation: number; inventories: Record<string, InventoryInput> }>;
  allocations: Record<string, ConsumerBody>;
}

export function registerReshaper(app: FastifyInstance, deps: PlacementApiDeps): void {
  app.post('/reshaper', async (req, reply) => {
    since(req, 30);
    authorize(deps, req, 'placement:reshaper:reshape');
    const minor = minorOf(req);
    const body = validBody<ReshaperBody>(minor >= 38 ? schemas.reshaper138 : minor >= 34 ? schemas.reshaper134 : schemas.reshaper130, req.body);

    const targets = new Map<string, { generation: number; inventories: Map<string, Inventory> }>();
    for (const [rawUuid, entry] of Object.entries(body.inventories)) {
      const uuid = normalizeUuid(rawUuid)!;
      if (!(await getProvider(deps.store.db, uuid))) {
        throw new PlacementError(400, PLACEMENT_CODES.providerNotFound, `Resource provider ${uuid} in inventories not found: No resource provider with uuid ${uuid} found`);
      }
      const inventories = new Map<string, Inventory>();
      for (const [rc, input] of Object.entries(entry.inventories)) {
        const inv = inventoryFromInput(input);
        try {
          validateInventory(rc, uuid, inv, atLeast(req, 26));
        } catch (err) {
          throw new BadRequest(`malformed reshaper data: ${(err as Error).message}`);
        }
        inventories.set(rc, inv);
      }
      targets.set(uuid, { generation: entry.resource_provider_generation, inventories });
    }
    const writes = Object.entries(body.allocations).map(([consumer, b]) => consumerWrite(deps, req, normalizeUuid(consumer)!, b));
    await checkClasses(deps, writes);

    try {
      await withRetries(deps.store, deps.options.allocation_conflict_retry_count, async (trx) => {
        // New inventories first, so the moved allocations have something to draw from; removals last, once nothing
        // uses them any more.
        for (const [uuid, t] of [...targets].sort(([a], [b]) => a.localeCompare(b))) {
          await applyInventoryChange(deps.store, trx, uuid, t.generation, () => ({ set: t.inventories, remove: [] }));
        }
        await applyAllocations(deps.store, trx, writes);
        for (const [uuid, t] of [...targets].sort(([a], [b]) => a.localeCompare(b))) {
          await applyInventoryChange(deps.store, trx, uuid, undefined, (current) => ({
            set: new Map(), remove: [...current.keys()].filter((rc) => !t.inventories.has(rc)),
          }));
        }
      });
    } catch (err) {
      if (err instanceof GenerationRace) throw concurrentUpdate(`update conflict: ${err.message}`);
      throw translateInventoryError(err, [...targets.keys()].join(', '));
    }
    return reply.code(204).send();
  });
}
