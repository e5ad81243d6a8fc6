// Where chunked backups keep their objects: a container of named objects (Swift's model), implemented on the local
// file system (file-store.ts) and on Object Storage (swift-store.ts). Objects are at most one backup chunk, so they
// are whole buffers here.

export interface BackupStore {
  /** Stores the object whole or not at all. */
  put(container: string, name: string, data: Buffer): Promise<void>;
  /** The object's bytes; rejects when it is missing. */
  get(container: string, name: string): Promise<Buffer>;
  /** Names of the objects starting with `prefix` (an empty list for a missing container). */
  list(container: string, prefix: string): Promise<string[]>;
  /** Idempotent: a missing object is not an error. */
  delete(container: string, name: string): Promise<void>;
}

/** Container names both stores accept: no path separators, nothing that is a path step on its own. */
export const CONTAINER_NAME = /^(?!\.{1,2}$)[A-Za-z0-9_.-]{1,255}$/;
