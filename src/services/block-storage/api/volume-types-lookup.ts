// Finds the volume type a request names (by id or by name) among those the caller may use.
import type { VolumeType } from '../domain/models.ts';
import { volumeTypeNotFound, volumeTypeNotFoundByName } from '../domain/errors.ts';
import { DEFAULT_TYPE_NAME, getType, getTypeByName, hasTypeAccess } from '../db/types-repo.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';

/** A private type the caller has no access to is a 404, as if it did not exist. */
export async function visibleType(deps: BlockStorageApiDeps, caller: Caller, t: VolumeType | undefined): Promise<VolumeType | undefined> {
  if (!t || t.isPublic || caller.isAdmin) return t;
  return caller.projectId && await hasTypeAccess(deps.db, t.id, caller.projectId) ? t : undefined;
}

export async function findType(deps: BlockStorageApiDeps, caller: Caller, idOrName: string | null | undefined): Promise<VolumeType> {
  const wanted = idOrName ?? DEFAULT_TYPE_NAME;
  const byId = await visibleType(deps, caller, await getType(deps.db, wanted));
  if (byId) return byId;
  const byName = await visibleType(deps, caller, await getTypeByName(deps.db, wanted));
  if (byName) return byName;
  throw idOrName && /^[0-9a-f-]{36}$/i.test(idOrName) ? volumeTypeNotFound(wanted) : volumeTypeNotFoundByName(wanted);
}
