// The configured stores behind one ImageStore: new data goes to the default store, and reads and deletes go to the
// store that holds the location, so images stay readable when the default changes (Glance's multi-store).
import type { ImageStore } from './store.ts';

export interface StoreSet extends ImageStore {
  /** Every configured store, the default first, as /v2/info/stores lists them. */
  readonly stores: readonly ImageStore[];
  /** The configured store with this id, if any. */
  byId(id: string): ImageStore | undefined;
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
  };
}
