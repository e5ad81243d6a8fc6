// Interoperable import: PUT /v2/images/{id}/stage streams data into the staging area; POST /v2/images/{id}/import
// runs `glance-direct` (the staged data into one or more stores, before the 202, so a client polling afterwards finds
// the image `active`) or `copy-image` (an active image's data into further stores, after the 202, as Glance does).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseImportRequest } from '../domain/import-request.ts';
import { assertStaged, importStaged, stageImageData } from '../provider/import.ts';
import { assertCopyable, startCopyImage } from '../provider/copy-image.ts';
import { receiveImageData } from './image-data.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible, storeIds } from './deps.ts';

/** Registered after registerImageData, whose octet-stream parser hands the request stream to the handler. */
export function registerImageImport(app: FastifyInstance, deps: ImageApiDeps): void {
  app.put('/v2/images/:image_id/stage', async (req: FastifyRequest, reply) => {
    await receiveImageData(deps, req, reply, stageImageData);
    return reply.code(204).send();
  });

  // Glance's order: the request, the image's status, then policy (copy_image for copies, modify_image otherwise).
  app.post('/v2/images/:image_id/import', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    const header = req.headers['x-image-meta-store'];
    const request = parseImportRequest(req.body, typeof header === 'string' ? header : undefined, storeIds(deps));
    if (request.method === 'copy-image') {
      assertCopyable(image);
      authorize(deps, caller, 'copy_image', target);
      await startCopyImage(deps, image, request);
    } else {
      assertStaged(image);
      authorize(deps, caller, 'modify_image', target);
      await importStaged(deps, image, request.stores.map((id) => deps.store.byId(id)!), request.mustSucceed);
    }
    return reply.code(202).send();
  });
}
