// Interoperable import: PUT /v2/images/{id}/stage streams data into the staging area, POST /v2/images/{id}/import
// with the `glance-direct` method moves it into the store (provider/import.ts). The import runs to completion before
// the 202 is sent, so a client polling the image afterwards finds it `active` (or the error in the answer).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { importMethod, importStaged, stageImageData } from '../provider/import.ts';
import { BadRequest } from '#lib/errors.ts';
import type { ImageStore } from '../stores/store.ts';
import { receiveImageData, requestedStore, storeNamed } from './image-data.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible } from './deps.ts';

/**
 * The store an import goes to: the body's `stores` (one store: an image here lives in a single store) or the
 * X-Image-Meta-Store header, else the default; 400 for an unknown store or several.
 */
function importTarget(deps: ImageApiDeps, req: FastifyRequest): ImageStore | undefined {
  const body = req.body as { stores?: unknown; all_stores?: unknown } | null | undefined;
  if (body?.all_stores === true && deps.store.stores.length > 1) throw new BadRequest('Importing into all stores is not available: each image here lives in a single store. Name one store in "stores".');
  if (body?.stores === undefined) return requestedStore(deps, req);
  if (!Array.isArray(body.stores) || body.stores.length !== 1) throw new BadRequest('"stores" must list exactly one store: each image here lives in a single store.');
  return storeNamed(deps, body.stores[0]);
}

/** Registered after registerImageData, whose octet-stream parser hands the request stream to the handler. */
export function registerImageImport(app: FastifyInstance, deps: ImageApiDeps): void {
  app.put('/v2/images/:image_id/stage', async (req: FastifyRequest, reply) => {
    await receiveImageData(deps, req, reply, stageImageData);
    return reply.code(204).send();
  });

  app.post('/v2/images/:image_id/import', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    importMethod(req.body);
    authorize(deps, caller, 'modify_image', target);
    await importStaged(deps, image, importTarget(deps, req));
    return reply.code(202).send();
  });
}
