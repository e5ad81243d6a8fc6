// /v2/images: create, list, show, delete, deactivate/reactivate and tags. Updates (JSON patch) are in image-patch.ts.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { Image, Visibility } from '../domain/image-model.ts';
import { enforceImageLimits, notOwnerCreate, parseCreateBody, visibilityRule } from '../domain/image-input.ts';
import { imageExists, protectedImage } from '../domain/errors.ts';
import { canSee } from '../domain/visibility.ts';
import { importMethods } from '../domain/import-request.ts';
import { deleteImage, getImage, insertImage, saveImage, transition } from '../db/images-repo.ts';
import { deleteImageWithLocations } from '../db/locations-repo.ts';
import { getMember } from '../db/members-repo.ts';
import { listImages } from '../db/image-list.ts';
import { enforceImageCount } from '../provider/quota.ts';
import type { ImageApiDeps } from './deps.ts';
import { authorize, callerOf, idParam, imageTarget, loadVisible, storeIds } from './deps.ts';
import { parseListQuery } from './list-query.ts';
import { imageView } from './views.ts';

const now = (): string => new Date().toISOString();

export function registerImages(app: FastifyInstance, deps: ImageApiDeps): void {
  const limits = () => ({ properties: deps.settings.propertyQuota, tags: deps.settings.tagQuota });

  app.post('/v2/images', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { attributes: a, properties } = parseCreateBody(req.body);
    const owner = (a.owner as string | null | undefined) ?? caller.projectId ?? null;
    if (owner !== (caller.projectId ?? null) && !caller.isAdmin) throw notOwnerCreate(String(owner));
    const at = now();
    const image: Image = {
      id: (a.id as string | undefined) ?? randomUUID(), name: (a.name as string | null | undefined) ?? null, owner, status: 'queued',
      visibility: (a.visibility as Visibility | undefined) ?? 'shared', diskFormat: (a.disk_format as string | null | undefined) ?? null,
      containerFormat: (a.container_format as string | null | undefined) ?? null, size: null, virtualSize: null, checksum: null,
      osHashAlgo: null, osHashValue: null, minDisk: (a.min_disk as number | undefined) ?? 0, minRam: (a.min_ram as number | undefined) ?? 0,
      protected: (a.protected as boolean | undefined) ?? false, osHidden: (a.os_hidden as boolean | undefined) ?? false, stagedLocation: null,
      locations: [], createdAt: at, updatedAt: at, properties, tags: [...new Set((a.tags as string[] | undefined) ?? [])],
    };
    const target = imageTarget(image, caller);
    authorize(deps, caller, 'add_image', target);
    const extra = visibilityRule(undefined, image.visibility);
    if (extra) authorize(deps, caller, extra, target);
    enforceImageLimits(image, limits());
    if (owner !== null) await enforceImageCount(deps.db, owner, deps.limits, 1);
    try {
      await insertImage(deps.db, image);
    } catch (err) {
      if (isUniqueViolation(err)) throw imageExists(image.id);
      throw err;
    }
    // Count, create, re-check: two creates racing for the last slot cannot both keep their image.
    if (owner !== null) {
      try {
        await enforceImageCount(deps.db, owner, deps.limits, 0);
      } catch (err) {
        await deleteImage(deps.db, image.id);
        throw err;
      }
    }
    return reply.code(201).header('location', `/v2/images/${image.id}`).header('openstack-image-import-methods', importMethods(storeIds(deps)).join(','))
      .send(imageView(image, deps.store));
  });

  app.get('/v2/images', async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'get_images', { project_id: caller.projectId });
    const parsed = parseListQuery(req.query as Record<string, string | string[]>);
    let marker: Image | undefined;
    if (parsed.marker !== undefined) {
      marker = await getImage(deps.db, parsed.marker);
      const membership = marker && caller.projectId ? await getMember(deps.db, marker.id, caller.projectId) : undefined;
      if (!marker || !canSee(marker, caller, membership)) throw new BadRequest(`Invalid marker: image ${parsed.marker} could not be found.`);
    }
    const limit = Math.min(deps.settings.apiLimitMax, parsed.limit ?? deps.settings.limitParamDefault);
    const images = limit === 0 ? [] : await listImages(deps.db, { ...parsed, viewer: caller, marker, limit });
    const params = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    params.delete('marker');
    const query = params.toString();
    const body: Record<string, unknown> = {
      images: images.map((i) => imageView(i, deps.store)), first: `/v2/images${query ? `?${query}` : ''}`, schema: '/v2/schemas/images',
    };
    if (images.length > 0 && images.length === limit) {
      params.set('marker', images[images.length - 1].id);
      body.next = `/v2/images?${params.toString()}`;
    }
    return body;
  });

  app.get('/v2/images/:image_id', async (req) => {
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'get_image', target);
    return imageView(image, deps.store);
  });

  app.delete('/v2/images/:image_id', async (req, reply) => {
    const caller = callerOf(deps, req);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'delete_image', target);
    if (image.protected) throw protectedImage(image.id);
    // Every copy goes with the image; a copy still being made finds the image gone and removes its own data, as does
    // an upload still streaming.
    const copies = await deleteImageWithLocations(deps.db, image.id);
    deps.tasks.cancel(image.id);
    for (const copy of copies ?? []) {
      await deps.store.delete(copy.url).catch((err: unknown) => req.log.error({ err, imageId: image.id, store: copy.store }, 'cannot delete image data'));
    }
    // Staged data (of an `uploading` or `importing` image) lives in the staging store.
    if (image.stagedLocation) await deps.staging.delete(image.stagedLocation).catch((err: unknown) => req.log.error({ err, imageId: image.id }, 'cannot delete staged image data'));
    return reply.code(204).send();
  });

  for (const [action, from, to] of [['deactivate', 'active', 'deactivated'], ['reactivate', 'deactivated', 'active']] as const) {
    app.post(`/v2/images/:image_id/actions/${action}`, async (req, reply) => {
      const caller = callerOf(deps, req);
      const { image, target } = await loadVisible(deps, caller, idParam(req));
      authorize(deps, caller, action, target);
      if (image.status !== to && !(image.status === from && await transition(deps.db, image.id, from, to, now()))) {
        throw new BadRequest(`Not allowed to ${action} image in status '${image.status}'`);
      }
      return reply.code(204).send();
    });
  }

  app.put('/v2/images/:image_id/tags/:tag', async (req, reply) => {
    const caller = callerOf(deps, req);
    const tag = (req.params as { tag: string }).tag;
    if (tag.length > 255) throw new BadRequest(`Provided object does not match schema 'image': tag '${tag.slice(0, 20)}…' is longer than 255 characters`);
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'modify_image', target);
    if (!image.tags.includes(tag)) {
      const next = { ...image, tags: [...image.tags, tag], updatedAt: now() };
      enforceImageLimits(next, limits());
      await saveImage(deps.db, next);
    }
    return reply.code(204).send();
  });

  app.delete('/v2/images/:image_id/tags/:tag', async (req, reply) => {
    const caller = callerOf(deps, req);
    const tag = (req.params as { tag: string }).tag;
    const { image, target } = await loadVisible(deps, caller, idParam(req));
    authorize(deps, caller, 'modify_image', target);
    if (!image.tags.includes(tag)) throw new NotFound(`Tag ${tag} not found.`);
    await saveImage(deps.db, { ...image, tags: image.tags.filter((t) => t !== tag), updatedAt: now() });
    return reply.code(204).send();
  });
}
