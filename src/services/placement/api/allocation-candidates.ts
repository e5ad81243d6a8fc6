// GET /allocation_candidates (1.10+): the sets of providers that could satisfy a request, each ready to be sent back as
// the body of PUT /allocations, plus a summary of every provider involved for the scheduler's filters and weighers.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { findAllocationCandidates } from '../domain/allocation-candidates.ts';
import type { AllocationRequest } from '../domain/allocation-candidates.ts';
import { displayCapacity } from '../domain/inventory.ts';
import { traitsNamed } from '../domain/request-groups.ts';
import { loadCandidateSnapshot, providerSummaries } from '../db/candidates-snapshot.ts';
import type { ProviderSummary } from '../db/candidates-snapshot.ts';
import { unknownResourceClasses } from '../db/resource-classes-repo.ts';
import { unknownTraits } from '../db/traits-repo.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { parseCandidateQuery } from './candidate-query.ts';

export function registerAllocationCandidates(app: FastifyInstance, deps: PlacementApiDeps): void {
  const { db } = deps.store;

  app.get('/allocation_candidates', async (req) => {
    since(req, 10);
    authorize(deps, req, 'placement:allocation_candidates:list');
    const { groups, wide } = parseCandidateQuery(req, deps.options);
    const classes = [...new Set(groups.flatMap((g) => [...g.resources.keys()]))];
    const unknownClasses = await unknownResourceClasses(db, classes);
    if (unknownClasses.length > 0) throw new BadRequest(`Invalid resource class in resources parameter: No such resource class ${unknownClasses.join(', ')}.`);
    const traits = [...traitsNamed(groups, wide)];
    const unknown = await unknownTraits(db, traits);
    if (unknown.length > 0) throw new BadRequest(`No such trait(s): ${unknown.join(', ')}.`);

    const snapshot = await loadCandidateSnapshot(db);
    const requests = findAllocationCandidates(snapshot, groups, wide);

    const rootOf = new Map(snapshot.providers.map((p) => [p.uuid, p.rootUuid]));
    const involved = new Set(requests.flatMap((r) => [...r.allocations.keys(), ...[...r.mappings.values()].flat()]));
    let summaries = providerSummaries(snapshot, new Set([...involved].map((p) => rootOf.get(p)!)));
    // Before 1.29 only the providers an allocation request uses are summarised.
    if (!atLeast(req, 29)) summaries = summaries.filter((s) => requests.some((r) => r.allocations.has(s.uuid)));
    return {
      allocation_requests: requests.map((r) => requestView(req, r)),
      provider_summaries: Object.fromEntries(summaries.map((s) => [s.uuid, summaryView(req, s, classes)])),
    };
  });
}

function requestView(req: FastifyRequest, r: AllocationRequest): Record<string, unknown> {
  if (!atLeast(req, 12)) {
    return {
      allocations: [...r.allocations].map(([uuid, resources]) => ({ resource_provider: { uuid }, resources: Object.fromEntries(resources) })),
    };
  }
  const view: Record<string, unknown> = {
    allocations: Object.fromEntries([...r.allocations].map(([uuid, resources]) => [uuid, { resources: Object.fromEntries(resources) }])),
  };
  if (atLeast(req, 34)) view.mappings = Object.fromEntries(r.mappings);
  return view;
}

function summaryView(req: FastifyRequest, s: ProviderSummary, requested: string[]): Record<string, unknown> {
  const all = atLeast(req, 27);
  const view: Record<string, unknown> = {
    resources: Object.fromEntries([...s.resources]
      .filter(([rc]) => all || requested.includes(rc))
      .map(([rc, state]) => [rc, { capacity: displayCapacity(state), used: state.used }])),
  };
  if (atLeast(req, 17)) view.traits = s.traits;
  if (atLeast(req, 29)) {
    view.parent_provider_uuid = s.parentUuid;
    view.root_provider_uuid = s.rootUuid;
  }
  return view;
}
