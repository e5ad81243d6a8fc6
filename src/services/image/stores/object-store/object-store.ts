// The object-store store: image data as objects in Object Storage (Swift v1), in the image service's own account
// (single tenant, as Glance's swift store is usually run), one object per image named after the image id. A Swift PUT
// is atomic (an interrupted one stores nothing), so the object exists only once all the data has arrived.
import type { ImageStore, PendingWrite } from '../store.ts';
import type { SwiftClient } from './swift-client.ts';

const IMAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Locations name the account by reference (the service's own, from its catalog), as Glance's `swift+config` does. */
const SCHEME = 'swift+config://glance/';
/** Swift's default object size limit, assumed when Object Storage does not publish one. */
const SWIFT_DEFAULT_MAX = 5 * 1024 ** 3;
/** How long Object Storage's published limit is trusted before it is read again. */
const LIMIT_TTL_MS = 5 * 60_000;

export interface ObjectStoreOptions {
  swift: SwiftClient;
  /** Container holding the images; created by the first upload (and again if it was removed). */
  container: string;
}

export function createObjectStore(opts: ObjectStoreOptions): ImageStore {
  const { swift, container } = opts;
  let limit: { max: number; at: number } | undefined;

  const locationOf = (imageId: string) => `${SCHEME}${encodeURIComponent(container)}/${imageId}`;
  /** The container and object a location names; throws for a location that is not this store's. */
  const objectOf = (location: string): { container: string; name: string } => {
    const m = location.startsWith(SCHEME) ? /^([^/]+)\/([^/]+)$/.exec(location.slice(SCHEME.length)) : null;
    if (!m || !IMAGE_ID.test(m[2])) throw new Error(`location ${location} is not in the object-store store`);
    return { container: decodeURIComponent(m[1]), name: m[2] };
  };

  return {
    id: 'object-store',
    description: 'Image data in Object Storage (the image service\'s account, container ' + container + ').',
    // One object per image (no segments), so Glance's large-object settings have no counterpart here.
    detail: () => ({ type: 'swift', properties: { container } }),
    owns: (location) => location.startsWith(SCHEME),

    async maxImageSize() {
      if (!limit || Date.now() - limit.at > LIMIT_TTL_MS) limit = { max: (await swift.maxFileSize()) ?? SWIFT_DEFAULT_MAX, at: Date.now() };
      return limit.max;
    },

    async begin(imageId) {
      if (!IMAGE_ID.test(imageId)) throw new Error(`not an image id: ${imageId}`);
      // Every upload makes sure of the container (202 when it exists): one small request, and a container removed
      // behind the service's back comes back instead of failing every upload until a restart.
      await swift.ensureContainer(container);
      const stream = await swift.putObject(container, imageId);
      let settled = false;
      const pending: PendingWrite = {
        stream,
        async commit() {
          // The stream finishes only after Swift stored the complete object (201), so there is nothing left to do.
          settled = true;
          return locationOf(imageId);
        },
        async abort() {
          if (settled) return;
          settled = true;
          // Cancelling an unfinished PUT stores nothing; the DELETE covers a PUT that completed but was refused afterwards
          // (inspection, quota) and one whose answer was lost after Swift had stored it.
          if (!stream.writableFinished) stream.destroy();
          await swift.deleteObject(container, imageId);
        },
      };
      return pending;
    },

    async open(location, range) {
      const { container: c, name } = objectOf(location);
      return swift.getObject(c, name, range);
    },

    async delete(location) {
      const { container: c, name } = objectOf(location);
      await swift.deleteObject(c, name);
    },
  };
}
