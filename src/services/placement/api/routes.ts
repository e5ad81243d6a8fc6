// Placement's route table: every resource registers its routes here; a known path with an unknown method is 405.
import type { FastifyInstance } from 'fastify';
import { MethodNotAllowed } from '#lib/errors.ts';
import type { PlacementApiDeps } from './deps.ts';
import { registerVersions } from './versions.ts';
import { registerResourceProviders } from './resource-providers.ts';
import { registerInventories } from './inventories.ts';
import { registerAggregatesAndUsages } from './aggregates-usages.ts';
import { registerTraits } from './traits.ts';
import { registerResourceClasses } from './resource-classes.ts';
import { registerAllocations } from './allocations.ts';
import { registerAllocationCandidates } from './allocation-candidates.ts';
import { registerReshaper } from './reshaper.ts';

/** Every path and the methods it answers, as in Placement's ROUTE_DECLARATIONS. */
const ROUTES: Record<string, string[]> = {
  '/': ['GET'],
  '/resource_providers': ['GET', 'POST'],
  '/resource_providers/:uuid': ['GET', 'PUT', 'DELETE'],
  '/resource_providers/:uuid/inventories': ['GET', 'POST', 'PUT', 'DELETE'],
  '/resource_providers/:uuid/inventories/:resource_class': ['GET', 'PUT', 'DELETE'],
  '/resource_providers/:uuid/usages': ['GET'],
  '/resource_providers/:uuid/aggregates': ['GET', 'PUT'],
  '/resource_providers/:uuid/allocations': ['GET'],
  '/resource_providers/:uuid/traits': ['GET', 'PUT', 'DELETE'],
  '/resource_classes': ['GET', 'POST'],
  '/resource_classes/:name': ['GET', 'PUT', 'DELETE'],
  '/traits': ['GET'],
  '/traits/:name': ['GET', 'PUT', 'DELETE'],
  '/allocations': ['POST'],
  '/allocations/:consumer_uuid': ['GET', 'PUT', 'DELETE'],
  '/allocation_candidates': ['GET'],
  '/usages': ['GET'],
  '/reshaper': ['POST'],
};
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const;

export function registerPlacementRoutes(app: FastifyInstance, deps: PlacementApiDeps): void {
  registerVersions(app);
  registerResourceProviders(app, deps);
  registerInventories(app, deps);
  registerAggregatesAndUsages(app, deps);
  registerTraits(app, deps);
  registerResourceClasses(app, deps);
  registerAllocations(app, deps);
  registerAllocationCandidates(app, deps);
  registerReshaper(app, deps);
  for (const [url, methods] of Object.entries(ROUTES)) {
    const others = METHODS.filter((m) => !methods.includes(m));
    if (others.length === 0) continue;
    app.route({
      method: others, url, config: { public: url === '/' },
      handler: async (_req, reply) => {
        reply.header('allow', methods.join(', '));
        throw new MethodNotAllowed(`The method specified is not allowed for this resource. Allowed: ${methods.join(', ')}.`);
      },
    });
  }
}
