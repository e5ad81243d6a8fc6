// Interoperable import: PUT /v2/images/{id}/stage streams data into the staging area, POST /v2/images/{id}/import
// with the `glance-direct` method moves it into the store (provider/import.ts). The import runs to completion before
// the 202 is sent, so a client polling the image afterwards finds it `active` (or the error in the answer).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { StratusError } from '#lib/errors.ts';
import { importMethod, importStaged, stageImageData } from '../provider/import.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible } from './deps.ts';

const OCTET_STREAM = 'application/octet-stream';

/** Registered after registerImageData, whose octet-stream parser hands the request stream to the handler. */
export function registerImageImport(app: FastifyInstance, deps: ImageApiDeps): void {
  app.put('/v2/images/:image_id/stage', async (req: FastifyRequest, reply) => {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== OCTET_STREAM) throw new StratusError(415, 'UnsupportedMediaType', `Image data must be sent as ${OCTET_STREAM}, not ${contentType || '(no content type)'}.`);
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'upload_image', target);
    const length = req.headers['content-length'];
    await stageImageData(deps, image, (req.body as Readable | undefined) ?? req.raw, { contentLength: length === undefined ? undefined : Number(length) });
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
