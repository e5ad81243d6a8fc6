// The file backup store: one directory per container under the backups directory, one file per object (object names
// are `volume_<id>/backup_<id>…`, so each backup sits in its volume's subdirectory). Objects are written under a
// `.partial-` name and renamed, so a crash never leaves a truncated object under its real name.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BackupStore } from './backup-store.ts';
import { CONTAINER_NAME } from './backup-store.ts';

/** The names this format makes, and their partial twins (a partial file belongs to its backup until deleted). */
const OBJECT_NAME = /^volume_[0-9a-f-]{36}\/(?:\.partial-)?backup_[0-9a-f-]{36}(?:-\d{5,}|_metadata|_sha256file)$/;

const partialOf = (name: string) => `${dirname(name)}/.partial-${name.slice(dirname(name).length + 1)}`;

export function createFileBackupStore(opts: { dir: string }): BackupStore {
  /** Paths come only from names of the shapes above; anything else is refused. */
  const pathOf = (container: string, name: string) => {
    if (!CONTAINER_NAME.test(container)) throw new Error(`refusing backup container ${JSON.stringify(container)}`);
    if (!OBJECT_NAME.test(name)) throw new Error(`refusing backup object name ${JSON.stringify(name)}`);
    return join(opts.dir, container, name);
  };
  return {
    async put(container, name, data) {
      const path = pathOf(container, name);
      const partial = pathOf(container, partialOf(name));
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(partial, data, { mode: 0o600, flush: true });
        await rename(partial, path);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
    },
    get: (container, name) => readFile(pathOf(container, name)),
    async list(container, prefix) {
      const dir = dirname(pathOf(container, `${prefix}_metadata`));
      const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return []; throw err; });
      return names.map((n) => `${dirname(prefix)}/${n}`)
        .filter((n) => OBJECT_NAME.test(n) && (n.startsWith(prefix) || n.startsWith(partialOf(prefix))));
    },
    async delete(container, name) {
      await rm(pathOf(container, name), { force: true });
    },
  };
}
