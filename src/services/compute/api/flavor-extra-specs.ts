// Flavor extra specs (os-extra_specs): anyone who sees the flavor reads them; admins create, update and delete,
// with Nova's validation of known keys from 2.86 (domain/extra-spec-validation.ts), before the flavor is looked up.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { extraSpecNotFound, extraSpecUriMismatch, flavorNotFound } from '../domain/errors.ts';
import { deleteExtraSpec, getFlavor, listExtraSpecs, upsertExtraSpecs } from '../db/flavors-repo.ts';
import { validateExtraSpecs } from '../domain/extra-spec-validation.ts';
import { authorize, callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { flavorIdParam, loadVisibleFlavor } from './flavors.ts';
import { atLeast } from './microversion.ts';
import { createExtraSpecsBody, updateExtraSpecBody } from './schemas/flavors.ts';

const keyParam = (req: FastifyRequest): string => (req.params as { key: string }).key;
const asStrings = (specs: Record<string, string | number | boolean>): Record<string, string> =>
  Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, String(v)]));

/** Below 2.86 Nova stores any key and value. */
function checkSpecs(req: FastifyRequest, specs: Record<string, string>): void {
  if (atLeast(req, 86)) validateExtraSpecs(specs);
}

/** Loads a flavor for an admin write: exists or 404. */
async function loadFlavor(deps: ComputeApiDeps, id: string): Promise<void> {
  if (!await getFlavor(deps.db, id)) throw flavorNotFound(id);
}

export function registerFlavorExtraSpecs(app: FastifyInstance, deps: ComputeApiDeps): void {
  const base = '/v2.1/flavors/:flavor_id/os-extra_specs';

  app.get(base, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'os_compute_api:os-flavor-extra-specs:index');
    const flavor = await loadVisibleFlavor(deps, caller, flavorIdParam(req));
    return { extra_specs: await listExtraSpecs(deps.db, flavor.id) };
  });

  app.get(`${base}/:key`, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'os_compute_api:os-flavor-extra-specs:show');
    const flavor = await loadVisibleFlavor(deps, caller, flavorIdParam(req));
    const key = keyParam(req);
    const specs = await listExtraSpecs(deps.db, flavor.id);
    if (!Object.hasOwn(specs, key)) throw extraSpecNotFound(flavor.id, key);
    return { [key]: specs[key] };
  });

  app.post(base, { schema: { body: createExtraSpecsBody } }, async (req) => {
    authorize(deps, callerOf(deps, req), 'os_compute_api:os-flavor-extra-specs:create');
    const id = flavorIdParam(req);
    const specs = asStrings((req.body as { extra_specs: Record<string, string | number | boolean> }).extra_specs);
    checkSpecs(req, specs);
    await loadFlavor(deps, id);
    await upsertExtraSpecs(deps.db, id, specs);
    return { extra_specs: specs };
  });

  app.put(`${base}/:key`, { schema: { body: updateExtraSpecBody } }, async (req) => {
    authorize(deps, callerOf(deps, req), 'os_compute_api:os-flavor-extra-specs:update');
    const id = flavorIdParam(req);
    const key = keyParam(req);
    const body = asStrings(req.body as Record<string, string | number | boolean>);
    checkSpecs(req, body);
    if (!Object.hasOwn(body, key)) throw extraSpecUriMismatch();
    await loadFlavor(deps, id);
    await upsertExtraSpecs(deps.db, id, body);
    return body;
  });

  app.delete(`${base}/:key`, async (req, reply) => {
    authorize(deps, callerOf(deps, req), 'os_compute_api:os-flavor-extra-specs:delete');
    const id = flavorIdParam(req);
    const key = keyParam(req);
    await loadFlavor(deps, id);
    if (!await deleteExtraSpec(deps.db, id, key)) throw extraSpecNotFound(id, key);
    return reply.code(200).send();
  });
}
