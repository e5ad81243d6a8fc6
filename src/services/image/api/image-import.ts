// Interoperable import: PUT /v2/images/{id}/stage streams data into the staging area, POST /v2/images/{id}/import
// with the `glance-direct` method moves it into the store (provider/import.ts). The import runs to completion before
// the 202 is sent, so a client polling the image afterwards finds it `active` (or the error in the answer).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { importMethod, importStaged, stageImageData } from '../provider/import.ts';
import { receiveImageData } from './image-data.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible } from './deps.ts';

/** Registered after registerImageData, whose octet-stream parser hands the request stream to the handler. */
export function registerImageImport(app: FastifyInstance, deps: ImageApiDeps): void {
  app.put('/v2/images/:image_id/stage', async (req: FastifyRequest, reply) => {
    await receiveImageData(deps, req, stageImageData);
    return reply.code(204).send();
  });

  app.post('/v2/images/:image_id/import', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    importMethod(req.body);
    authorize(deps, caller, 'modify_image', target);
    await importStaged(deps, image);
    return reply.code(202).send();
  });
}
