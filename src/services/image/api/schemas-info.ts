// The documents clients read before acting: JSON schemas, the import methods and the caller's quota usage (the stores
// are in stores.ts).
import type { FastifyInstance } from 'fastify';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../domain/image-schema.ts';
import { storedBytes, countOwned } from '../db/images-repo.ts';
import type { ImageApiDeps } from './deps.ts';
import { callerOf, storeIds } from './deps.ts';
import { importMethods } from '../domain/import-request.ts';

export function registerSchemasAndInfo(app: FastifyInstance, deps: ImageApiDeps): void {
  app.get('/v2/schemas/image', async () => imageSchema);
  app.get('/v2/schemas/images', async () => imagesSchema);
  app.get('/v2/schemas/member', async () => memberSchema);
  app.get('/v2/schemas/members', async () => membersSchema);

  app.get('/v2/info/import', async () => ({ 'import-methods': { description: 'Import methods available.', type: 'array', value: importMethods(storeIds(deps)) } }));
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
}
