// /allocations/{consumer_uuid} (GET, PUT, DELETE), POST /allocations (1.13+) and a provider's allocations.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { consumerAllocations, providerAllocations, writeAllocations } from '../db/allocations-repo.ts';
import type { ConsumerWrite } from '../db/allocations-repo.ts';
import { requireProvider } from '../db/providers-repo.ts';
import { unknownResourceClasses } from '../db/resource-classes-repo.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize, normalizeUuid, pathUuid } from './deps.ts';
import { atLeast, minorOf, since } from './microversion.ts';
import { validBody } from './validate.ts';
import type { Schema } from './validate.ts';
import * as schemas from './schemas/allocations.ts';

/** A consumer's part of a PUT or POST body, in any microversion's shape. */
export interface ConsumerBody {
  allocations: Record<string, { resources: Record<string, number> }> | { resource_provider: { uuid: string }; resources: Record<string, number> }[];
  project_id?: string;
  user_id?: string;
  consumer_generation?: number | null;
  consumer_type?: string;
}

function putSchema(minor: number): Schema {
  if (minor >= 38) return schemas.allocationsPut138;
  if (minor >= 34) return schemas.allocationsPut134;
  if (minor >= 28) return schemas.allocationsPut128;
  if (minor >= 12) return schemas.allocationsPut112;
  if (minor >= 8) return schemas.allocationsPut18;
  return schemas.allocationsPut10;
}

function postSchema(minor: number): Schema {
  if (minor >= 38) return schemas.allocationsPost138;
  if (minor >= 34) return schemas.allocationsPost134;
  if (minor >= 28) return schemas.allocationsPost128;
  return schemas.allocationsPost113;
}

/** Turns one consumer's body into a write: defaults for old microversions, uuids normalised. */
export function consumerWrite(deps: PlacementApiDeps, req: FastifyRequest, consumerUuid: string, body: ConsumerBody): ConsumerWrite {
  const entries = Array.isArray(body.allocations)
    ? body.allocations.map((a) => [a.resource_provider.uuid, a.resources] as const)
    : Object.entries(body.allocations).map(([rp, a]) => [rp, a.resources] as const);
  // One entry per provider and class, even when two spellings of a uuid (case, dashes) name the same provider.
  const merged = new Map<string, { provider: string; resourceClass: string; used: number }>();
  for (const [rp, resources] of entries) {
    for (const [resourceClass, used] of Object.entries(resources)) {
      const provider = normalizeUuid(rp)!;
      const entry = merged.get(`${provider} ${resourceClass}`) ?? { provider, resourceClass, used: 0 };
      entry.used += used;
      merged.set(`${provider} ${resourceClass}`, entry);
    }
  }
  const allocations = [...merged.values()];
  return {
    consumerUuid, allocations,
    projectId: body.project_id ?? deps.options.incomplete_consumer_project_id,
    userId: body.user_id ?? deps.options.incomplete_consumer_user_id,
    consumerType: atLeast(req, 38) ? body.consumer_type : undefined,
    expectedGeneration: atLeast(req, 28) ? body.consumer_generation ?? null : undefined,
  };
}

/** Resource classes the writes name must exist: 400 before anything is written. */
export async function checkClasses(deps: PlacementApiDeps, writes: ConsumerWrite[]): Promise<void> {
  for (const w of writes) {
    const unknown = await unknownResourceClasses(deps.store.db, w.allocations.map((a) => a.resourceClass));
    if (unknown.length > 0) throw new BadRequest(`Unable to allocate inventory for consumer ${w.consumerUuid}: No such resource class ${unknown.join(', ')}.`);
  }
}

function consumerFromPath(req: FastifyRequest): string {
  const raw = (req.params as { consumer_uuid: string }).consumer_uuid;
  const uuid = normalizeUuid(raw);
  if (!uuid) throw new BadRequest(`Malformed consumer_uuid: ${raw}`);
  return uuid;
}

export function registerAllocations(app: FastifyInstance, deps: PlacementApiDeps): void {
  const { db } = deps.store;
  const retries = deps.options.allocation_conflict_retry_count;

  app.get('/allocations/:consumer_uuid', async (req) => {
    authorize(deps, req, 'placement:allocations:list');
    const consumer = await consumerAllocations(db, pathUuid((req.params as { consumer_uuid: string }).consumer_uuid));
    const allocations = Object.fromEntries([...(consumer?.providers ?? [])].map(([rp, a]) => [rp, { generation: a.generation, resources: a.resources }]));
    const view: Record<string, unknown> = { allocations };
    if (consumer && atLeast(req, 12)) {
      view.project_id = consumer.projectId;
      view.user_id = consumer.userId;
      if (atLeast(req, 28)) view.consumer_generation = consumer.generation;
      if (atLeast(req, 38)) view.consumer_type = consumer.consumerType ?? 'unknown';
    }
    return view;
  });

  app.put('/allocations/:consumer_uuid', async (req, reply) => {
    authorize(deps, req, 'placement:allocations:update');
    const consumerUuid = consumerFromPath(req);
    const body = validBody<ConsumerBody>(putSchema(minorOf(req)), req.body);
    const write = consumerWrite(deps, req, consumerUuid, body);
    await checkClasses(deps, [write]);
    await writeAllocations(deps.store, [write], retries);
    return reply.code(204).send();
  });

  app.post('/allocations', async (req, reply) => {
    since(req, 13);
    authorize(deps, req, 'placement:allocations:manage');
    const body = validBody<Record<string, ConsumerBody>>(postSchema(minorOf(req)), req.body);
    const writes = Object.entries(body).map(([consumer, b]) => consumerWrite(deps, req, normalizeUuid(consumer)!, b));
    await checkClasses(deps, writes);
    await writeAllocations(deps.store, writes, retries);
    return reply.code(204).send();
  });

  app.delete('/allocations/:consumer_uuid', async (req, reply) => {
    authorize(deps, req, 'placement:allocations:delete');
    const consumerUuid = pathUuid((req.params as { consumer_uuid: string }).consumer_uuid);
    const consumer = await consumerAllocations(db, consumerUuid);
    if (!consumer) throw new NotFound(`No allocations for consumer '${consumerUuid}'`);
    // Unsafe by design (no generation), as in Placement: it removes whatever the consumer holds now.
    await writeAllocations(deps.store, [{ consumerUuid, projectId: consumer.projectId, userId: consumer.userId, allocations: [] }], retries);
    return reply.code(204).send();
  });

  app.get('/resource_providers/:uuid/allocations', async (req) => {
    authorize(deps, req, 'placement:resource_providers:allocations:list');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    const rp = await requireProvider(db, uuid);
    const withGeneration = atLeast(req, 28);
    const allocations = Object.fromEntries([...await providerAllocations(db, uuid)].map(([consumer, a]) =>
      [consumer, withGeneration ? { resources: a.resources, consumer_generation: a.consumerGeneration } : { resources: a.resources }]));
    return { allocations, resource_provider_generation: rp.generation };
  });
}
