// Per-project quotas: images owned and bytes stored, with uploads in flight counted as stored while they stream.
import type { ImageDb } from '../db/tables.ts';
import { countOwned, storedBytes } from '../db/images-repo.ts';
import { overQuota } from '../domain/errors.ts';

export interface QuotaLimits {
  /** Most images a project owns; -1 for no limit. */
  imageCountTotal: number;
  /** Most bytes a project stores, uploads in flight included; -1 for no limit. */
  imageSizeTotal: number;
  /** Largest single image. */
  imageSizeCap: number;
}

/** One upload in flight: `bytes` grows as data arrives; release() when it ends, however it ends. */
export interface InflightUpload {
  bytes: number;
  release(): void;
}

/** Bytes being uploaded per project, in this process. */
export interface InflightTracker {
  start(owner: string): InflightUpload;
  bytes(owner: string): number;
}

export function createInflightTracker(): InflightTracker {
  const byOwner = new Map<string, Set<InflightUpload>>();
  return {
    start(owner) {
      const set = byOwner.get(owner) ?? byOwner.set(owner, new Set()).get(owner)!;
      const upload: InflightUpload = {
        bytes: 0,
        release() {
          set.delete(upload);
          if (set.size === 0) byOwner.delete(owner);
        },
      };
      set.add(upload);
      return upload;
    },
    bytes(owner) {
      let total = 0;
      for (const u of byOwner.get(owner) ?? []) total += u.bytes;
      return total;
    },
  };
}

/** Throws 413 when `owner` already owns as many images as it may (checked before and after a create). */
export async function enforceImageCount(db: ImageDb, owner: string, limits: QuotaLimits, adding: number): Promise<void> {
  if (limits.imageCountTotal < 0) return;
  const owned = await countOwned(db, owner);
  if (owned + adding > limits.imageCountTotal) {
    throw overQuota(`Image quota exceeded: project ${owner} may own at most ${limits.imageCountTotal} images and owns ${owned}.`);
  }
}

export const sizeCapExceeded = (cap: number) => overQuota(`The incoming image is too large: images may be at most ${cap} bytes.`);
/** 413 for an image larger than one store holds (an Object Storage object; segmented images are not supported). */
export const tooLargeForStore = (store: string, max: number) =>
  overQuota(`The incoming image is too large for store ${store}: it holds images of at most ${max} bytes (one object; segmented images are not supported).`);
export const storageQuotaExceeded = (owner: string, limit: number, used: number) =>
  overQuota(`Image storage quota exceeded: project ${owner} may store at most ${limit} bytes; ${used} are stored or being uploaded.`);

/**
 * The bytes stored by `owner` outside the upload `self` (committed data plus the other uploads in flight), for
 * checks during and after an upload.
 */
export async function usedBytes(db: ImageDb, owner: string, inflight: InflightTracker, self?: InflightUpload): Promise<number> {
  return (await storedBytes(db, owner)) + inflight.bytes(owner) - (self?.bytes ?? 0);
}
