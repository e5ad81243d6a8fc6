// The configured stores behind one ImageStore: new data goes to the default store, and reads and deletes go to the
// store that holds the location, so images stay readable when the default changes (Glance's multi-store). An image
// may have a copy in several stores: openFirst reads the first copy a store serves.
import type { Readable } from 'node:stream';
import type { ImageLocation } from '../domain/image-model.ts';
import type { ByteRange, ImageStore } from './store.ts';

/** A copy openFirst could not read, and why (for the caller's log). */
export interface SkippedCopy {
  location: ImageLocation;
  error: unknown;
}

export interface StoreSet extends ImageStore {
  /** Every configured store, the default first, as /v2/info/stores lists them. */
  readonly stores: readonly ImageStore[];
  /** The configured store with this id, if any. */
  byId(id: string): ImageStore | undefined;
  /**
   * Streams the first of `locations` whose store serves it, trying them in order (a copy whose store is not
   * configured, or fails to open it, is skipped); rejects with the last failure when none opens.
   */
  openFirst(locations: readonly ImageLocation[], range?: ByteRange): Promise<{ stream: Readable; location: ImageLocation; skipped: SkippedCopy[] }>;
}

/** `defaultId` must be the id of one of `stores` (config validation says which ids exist). */
export function createStoreSet(stores: readonly ImageStore[], defaultId: string): StoreSet {
  const chosen = stores.find((s) => s.id === defaultId);
  if (!chosen) throw new Error(`default store ${defaultId} is not one of the configured stores (${stores.map((s) => s.id).join(', ')})`);
  const ordered = [chosen, ...stores.filter((s) => s !== chosen)];
  const holder = (location: string): ImageStore => {
    const store = ordered.find((s) => s.owns(location));
    if (!store) throw new Error(`no configured store holds ${location}`);
    return store;
  };
  return {
    id: chosen.id,
    description: chosen.description,
    stores: ordered,
    byId: (id) => ordered.find((s) => s.id === id),
    owns: (location) => ordered.some((s) => s.owns(location)),
    ...(chosen.maxImageSize ? { maxImageSize: () => chosen.maxImageSize!() } : {}),
    begin: (imageId) => chosen.begin(imageId),
    open: async (location, range) => holder(location).open(location, range),
    delete: async (location) => holder(location).delete(location),
    async openFirst(locations, range) {
      const skipped: SkippedCopy[] = [];
      for (const location of locations) {
        const store = ordered.find((s) => s.id === location.store && s.owns(location.url));
        try {
          if (!store) throw new Error(`store ${location.store} is not configured`);
          return { stream: await store.open(location.url, range), location, skipped };
        } catch (error) {
          skipped.push({ location, error });
        }
      }
      if (skipped.length === 0) throw new Error('the image has no data');
      throw skipped[skipped.length - 1].error;
    },
  };
}
