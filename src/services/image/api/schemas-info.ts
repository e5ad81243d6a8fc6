// The documents clients read before acting: JSON schemas, the stores, the import methods (none in this build) and
// the caller's quota usage; and clear answers for the import endpoints this build does not implement.
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../domain/image-schema.ts';
import { storedBytes, countOwned } from '../db/images-repo.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible } from './deps.ts';

const NO_IMPORT = 'Interoperable image import is not available at this site: upload image data with PUT /v2/images/{image_id}/file.';

export function registerSchemasAndInfo(app: FastifyInstance, deps: ImageApiDeps): void {
  app.get('/v2/schemas/image', async () => imageSchema);
  app.get('/v2/schemas/images', async () => imagesSchema);
  app.get('/v2/schemas/member', async () => memberSchema);
  app.get('/v2/schemas/members', async () => membersSchema);

  app.get('/v2/info/import', async () => ({ 'import-methods': { description: 'Import methods available.', type: 'array', value: [] } }));
  app.get('/v2/info/stores', async () => ({ stores: [{ id: deps.store.id, description: deps.store.description, default: true }] }));
  app.get('/v2/info/usage', async (req) => {
    const caller = callerOf(deps, req);
    const owner = caller.projectId ?? '';
    const [count, bytes] = await Promise.all([countOwned(deps.db, owner), storedBytes(deps.db, owner)]);
    const uploading = deps.inflight.bytes(owner);
    return { usage: {
      image_count_total: { limit: deps.limits.imageCountTotal, usage: count },
      image_size_total: { limit: deps.limits.imageSizeTotal, usage: bytes + uploading },
      image_stage_total: { limit: 0, usage: 0 },
      image_count_uploading: { limit: -1, usage: uploading > 0 ? 1 : 0 },
    } };
  });

  // Glance answers a stage without glance-direct with 404, and an import with an unknown method with 400.
  app.put('/v2/images/:image_id/stage', async (req) => {
    const caller = callerOf(deps, req);
    const { target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'upload_image', target);
    throw new NotFound(`'glance-direct' method is not available at this site. ${NO_IMPORT}`);
  });
  app.post('/v2/images/:image_id/import', async (req) => {
    const caller = callerOf(deps, req);
    await loadVisible(deps, caller, idParam(req));
    const method = (req.body as { method?: { name?: unknown } } | undefined)?.method?.name;
    throw new BadRequest(`${typeof method === 'string' ? `Unknown import method name '${method}'. ` : ''}${NO_IMPORT}`);
  });
}
