// Flavors: list, detail, show (everyone, private ones only to admins and projects with access); create, update
// (description, 2.55+) and delete (admins), as Nova's flavors and os-flavor-manage APIs.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { Flavor } from '../domain/flavor.ts';
import { flavorIdExists, flavorNameExists, flavorNotFound, markerNotFound } from '../domain/errors.ts';
import { deleteFlavor, getFlavor, getFlavorByName, hasAccess, insertFlavor, listExtraSpecs, listFlavors, setFlavorDescription } from '../db/flavors-repo.ts';
import { authorize, callerOf } from './deps.ts';
import type { Caller, ComputeApiDeps } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { flavorDetail, flavorSummary } from './views.ts';
import { createFlavorBody, listFlavorsQuery, updateFlavorBody } from './schemas/flavors.ts';

export const flavorIdParam = (req: FastifyRequest): string => (req.params as { flavor_id: string }).flavor_id;

/** Loads a flavor the caller may see; 404 for a private one they have no access to, so ids do not leak. */
export async function loadVisibleFlavor(deps: ComputeApiDeps, caller: Caller, id: string): Promise<Flavor> {
  const flavor = await getFlavor(deps.db, id);
  if (!flavor) throw flavorNotFound(id);
  if (!flavor.isPublic && !caller.isAdmin && !(caller.projectId && await hasAccess(deps.db, id, caller.projectId))) throw flavorNotFound(id);
  return flavor;
}

/** A flavor's full view; from 2.61 with its extra specs when policy lets the caller index them (Nova omits them otherwise). */
async function detailOf(deps: ComputeApiDeps, req: FastifyRequest, caller: Caller, f: Flavor): Promise<Record<string, unknown>> {
  const specs = atLeast(req, 61) && deps.policy.allowed('os_compute_api:os-flavor-extra-specs:index', caller.credentials, { project_id: caller.projectId })
    ? await listExtraSpecs(deps.db, f.id) : undefined;
  return flavorDetail(req, f, specs);
}

interface ListQuery { is_public?: string; minRam?: number; minDisk?: number; limit?: number; marker?: string; sort_dir?: 'asc' | 'desc' }

/** Nova's is_public parsing: 'none' means both, booleans as strings, anything else a 400. */
function parseIsPublic(text: string | undefined): boolean | undefined {
  if (text === undefined) return true;
  const t = text.toLowerCase();
  if (t === 'none') return undefined;
  if (['true', 't', '1', 'yes', 'y', 'on'].includes(t)) return true;
  if (['false', 'f', '0', 'no', 'n', 'off'].includes(t)) return false;
  throw new BadRequest(`Invalid is_public filter [${text}]`);
}

async function list(deps: ComputeApiDeps, req: FastifyRequest, detailed: boolean) {
  const caller = callerOf(deps, req);
  authorize(deps, caller, 'os_compute_api:flavors:index');
  const q = req.query as ListQuery;
  const isPublic = parseIsPublic(q.is_public);
  const limit = Math.min(q.limit ?? deps.maxLimit, deps.maxLimit);
  if (q.marker !== undefined && !await getFlavor(deps.db, q.marker)) throw markerNotFound(q.marker);
  // Non-admins see public flavors and the private ones shared with their project, whatever is_public says.
  const flavors = await listFlavors(deps.db, {
    ...(caller.isAdmin ? { isPublic } : { accessProject: caller.projectId ?? '' }),
    minRam: q.minRam, minDisk: q.minDisk, afterId: q.marker, limit, sortDir: q.sort_dir ?? 'asc',
  });
  const body: Record<string, unknown> = { flavors: await Promise.all(flavors.map((f) => (detailed ? detailOf(deps, req, caller, f) : flavorSummary(req, f)))) };
  if (q.limit !== undefined && flavors.length === limit && limit > 0) {
    const next = new URLSearchParams({ ...(req.query as Record<string, string>), limit: String(limit), marker: flavors.at(-1)!.id });
    body.flavors_links = [{ rel: 'next', href: `${req.protocol}://${req.headers.host ?? req.host}/v2.1/flavors${detailed ? '/detail' : ''}?${next}` }];
  }
  return body;
}

interface CreateBody {
  flavor: {
    name: string; id?: string | null; ram: number; vcpus: number; disk: number; 'OS-FLV-EXT-DATA:ephemeral'?: number; swap?: number;
    rxtx_factor?: number; 'os-flavor-access:is_public'?: boolean; description?: string | null;
  };
}

export function registerFlavors(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/flavors', { schema: { querystring: listFlavorsQuery } }, async (req) => list(deps, req, false));
  app.get('/v2.1/flavors/detail', { schema: { querystring: listFlavorsQuery } }, async (req) => list(deps, req, true));

  app.get('/v2.1/flavors/:flavor_id', async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'os_compute_api:flavors:show');
    return { flavor: await detailOf(deps, req, caller, await loadVisibleFlavor(deps, caller, flavorIdParam(req))) };
  });

  app.post('/v2.1/flavors', { schema: { body: createFlavorBody } }, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'os_compute_api:os-flavor-manage:create');
    const f = (req.body as CreateBody).flavor;
    if (f.description !== undefined && !atLeast(req, 55)) throw new BadRequest("Invalid input for field/attribute flavor. Value: Additional properties are not allowed ('description' was unexpected)");
    const flavor: Flavor = {
      id: f.id ?? randomUUID(), name: f.name, ram: f.ram, vcpus: f.vcpus, disk: f.disk, ephemeral: f['OS-FLV-EXT-DATA:ephemeral'] ?? 0,
      swap: f.swap ?? 0, rxtxFactor: f.rxtx_factor ?? 1, isPublic: f['os-flavor-access:is_public'] ?? true, disabled: false,
      description: f.description ?? null,
    };
    try {
      await insertFlavor(deps.db, flavor);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw (await getFlavorByName(deps.db, flavor.name)) ? flavorNameExists(flavor.name) : flavorIdExists(flavor.id);
    }
    return { flavor: await detailOf(deps, req, caller, flavor) };
  });

  app.put('/v2.1/flavors/:flavor_id', { schema: { body: updateFlavorBody } }, async (req) => {
    since(req, 55);
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'os_compute_api:os-flavor-manage:update');
    const id = flavorIdParam(req);
    const flavor = await getFlavor(deps.db, id);
    if (!flavor) throw flavorNotFound(id);
    const { description } = (req.body as { flavor: { description: string | null } }).flavor;
    await setFlavorDescription(deps.db, id, description);
    return { flavor: await detailOf(deps, req, caller, { ...flavor, description }) };
  });

  app.delete('/v2.1/flavors/:flavor_id', async (req, reply) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'os_compute_api:os-flavor-manage:delete');
    const id = flavorIdParam(req);
    if (!await getFlavor(deps.db, id)) throw flavorNotFound(id);
    await deleteFlavor(deps.db, id);
    return reply.code(202).send();
  });
}
