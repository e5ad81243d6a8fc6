// The stores as clients see them: GET /v2/info/stores (and /detail, for admins) lists them, and
// DELETE /v2/stores/{store_id}/{image_id} removes an image's copy from one store, never its last copy.
import type { FastifyInstance } from 'fastify';
import { Conflict, Forbidden, NotFound } from '#lib/errors.ts';
import { removeLocation } from '../db/locations-repo.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, loadVisible } from './deps.ts';

export function registerStores(app: FastifyInstance, deps: ImageApiDeps): void {
  const listed = () => deps.store.stores.map((s) => ({ id: s.id, description: s.description, ...(s.id === deps.store.id ? { default: true } : {}) }));

  app.get('/v2/info/stores', async () => ({ stores: listed() }));

  app.get('/v2/info/stores/detail', async (req) => {
    authorize(deps, callerOf(deps, req), 'stores_info_detail', {});
    return { stores: listed().map((s) => ({ ...s, ...deps.store.byId(s.id)!.detail?.() })) };
  });

  // Glance's order of checks and answers: unknown store 409, image 404, policy 403, not active 409, last copy 403,
  // no copy in that store 404.
  app.delete('/v2/stores/:store_id/:image_id', async (req, reply) => {
    const storeId = (req.params as { store_id: string }).store_id;
    const store = deps.store.byId(storeId);
    if (!store) throw new Conflict(`The selected store ${storeId} is not available on this node.`);
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'get_image_location', target);
    authorize(deps, caller, 'delete_image_location', target);
    const notActive = () => new Conflict('It\'s not allowed to remove image data from store if image status is not \'active\'.');
    if (image.status !== 'active') throw notActive();
    const outcome = await removeLocation(deps.db, image.id, storeId, new Date().toISOString());
    if ('refused' in outcome) {
      if (outcome.refused === 'last') throw new Forbidden('Cannot delete image data from the only store containing it. Consider deleting the image instead.');
      if (outcome.refused === 'absent') throw new NotFound(`Image ${image.id} is not stored in store ${storeId}.`);
      throw notActive();
    }
    await store.delete(outcome.removed.url).catch((err: unknown) => req.log.error({ err, imageId: image.id, store: storeId }, 'cannot delete an image copy'));
    return reply.code(204).send();
  });
}
