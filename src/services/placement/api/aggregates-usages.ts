// A provider's aggregates (1.1+; generation-checked from 1.19), its usages, and the per-project GET /usages (1.9+).
import type { FastifyInstance } from 'fastify';
import { providerAggregates, setProviderAggregates } from '../db/aggregates-repo.ts';
import { requireProvider } from '../db/providers-repo.ts';
import { projectUsages, projectUsagesByType, providerUsages } from '../db/usages-repo.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize, normalizeUuid, pathUuid } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { validBody, validQuery } from './validate.ts';
import { aggregatesPut, aggregatesPut119 } from './schemas/providers.ts';

const externalId = { type: 'string', minLength: 1, maxLength: 255 };
const usagesQuery = { type: 'object', properties: { project_id: externalId, user_id: externalId }, required: ['project_id'], additionalProperties: false };
const usagesQuery138 = {
  type: 'object',
  properties: { project_id: externalId, user_id: externalId, consumer_type: { type: 'string', minLength: 1, maxLength: 255, pattern: '^([A-Z0-9_]+|all|unknown)$' } },
  required: ['project_id'], additionalProperties: false,
};

export function registerAggregatesAndUsages(app: FastifyInstance, deps: PlacementApiDeps): void {
  const { db } = deps.store;

  app.get('/resource_providers/:uuid/aggregates', async (req) => {
    since(req, 1);
    authorize(deps, req, 'placement:resource_providers:aggregates:list');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    const rp = await requireProvider(db, uuid);
    const aggregates = await providerAggregates(db, uuid);
    return atLeast(req, 19) ? { aggregates, resource_provider_generation: rp.generation } : { aggregates };
  });

  app.put('/resource_providers/:uuid/aggregates', async (req) => {
    since(req, 1);
    authorize(deps, req, 'placement:resource_providers:aggregates:update');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    await requireProvider(db, uuid);
    const withGeneration = atLeast(req, 19);
    const body = withGeneration
      ? validBody<{ aggregates: string[]; resource_provider_generation: number }>(aggregatesPut119, req.body)
      : { aggregates: validBody<string[]>(aggregatesPut, req.body), resource_provider_generation: undefined };
    const aggregates = body.aggregates.map((a) => normalizeUuid(a)!);
    const generation = await setProviderAggregates(deps.store, uuid, aggregates, body.resource_provider_generation);
    const now = await providerAggregates(db, uuid);
    return withGeneration ? { aggregates: now, resource_provider_generation: generation } : { aggregates: now };
  });

  app.get('/resource_providers/:uuid/usages', async (req) => {
    authorize(deps, req, 'placement:resource_providers:usages');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    const rp = await requireProvider(db, uuid);
    return { resource_provider_generation: rp.generation, usages: await providerUsages(db, uuid) };
  });

  app.get('/usages', async (req) => {
    since(req, 9);
    const grouped = atLeast(req, 38);
    const q = validQuery(grouped ? usagesQuery138 : usagesQuery, req.query);
    const projectId = q.project_id as string;
    authorize(deps, req, 'placement:usages', { project_id: projectId });
    const filter = { projectId, userId: q.user_id as string | undefined };
    if (!grouped) return { usages: await projectUsages(db, filter) };
    return { usages: await projectUsagesByType(db, { ...filter, consumerType: q.consumer_type as string | undefined }) };
  });
}
