// PATCH /v2/images/{id}: Glance's JSON-patch update of attributes, custom properties and tags.
import type { FastifyInstance } from 'fastify';
import { StratusError } from '#lib/errors.ts';
import { PATCH_CONTENT_TYPE, applyPatch, parsePatch } from '../domain/json-patch.ts';
import { enforceImageLimits, visibilityRule } from '../domain/image-input.ts';
import { imageNotFound } from '../domain/errors.ts';
import { getImage, saveImage } from '../db/images-repo.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, imageTarget, loadVisible } from './deps.ts';
import { imageView } from './views.ts';

/** Glance also accepts the older v2.0 dialect; this build speaks only v2.1, which every current client sends. */
const ACCEPT_PATCH = PATCH_CONTENT_TYPE;

export function registerImagePatch(app: FastifyInstance, deps: ImageApiDeps): void {
  app.patch('/v2/images/:image_id', async (req) => {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== PATCH_CONTENT_TYPE) {
      throw new StratusError(415, 'UnsupportedMediaType', `The request media type ${contentType || '(none)'} is not supported by this server.`, { headers: { 'accept-patch': ACCEPT_PATCH } });
    }
    const caller = callerOf(deps, req);
    const changes = parsePatch(req.body);
    const { image, target, membership } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'modify_image', target);
    const next = applyPatch(image, changes, { isAdmin: caller.isAdmin });
    const extra = visibilityRule(image.visibility, next.visibility);
    if (extra) authorize(deps, caller, extra, imageTarget(next, caller, membership));
    enforceImageLimits(next, { properties: deps.settings.propertyQuota, tags: deps.settings.tagQuota });
    if (changes.length > 0) {
      next.updatedAt = new Date().toISOString();
      if (!(await saveImage(deps.db, next))) throw imageNotFound(image.id);
    }
    return imageView((await getImage(deps.db, image.id)) ?? next, deps.store);
  });
}
