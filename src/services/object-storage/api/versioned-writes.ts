// Versioned writes (Swift's versioned_writes, legacy mode): before an object in a versioned container is overwritten
// or deleted, its current version is copied into the archive container; in stack mode a DELETE then copies the newest
// archived version back. The copies are made by the proxy for the caller, who needs write access to the versioned
// container only (as Swift's pre-authorized subrequests); a missing archive container fails the write with 412.
import { Readable } from 'node:stream';
import { getContainer } from '../db/containers-repo.ts';
import type { Container } from '../db/containers-repo.ts';
import { objectPage, recordObject, removeObject } from '../db/listings-repo.ts';
import { preconditionFailed } from '../domain/errors.ts';
import { expired } from '../domain/expiry.ts';
import { listingContentType, listingEtag } from '../domain/large-object-listing.ts';
import { DELETE_MARKER_CONTENT_TYPE, archiveName, archivePrefix } from '../domain/versioning.ts';
import type { Versioning } from '../domain/versioning.ts';
import type { ObjectMetadata } from '../rpc/object-server.ts';
import type { ProxyDeps } from './deps.ts';
import { newTimestamp, timestampToIso } from './deps.ts';
import { underPendingUpdate } from './object-updater.ts';
import type { ObjectPath } from './replicas.ts';

/** The live version of an object, or undefined (deleted, expired or never there). */
async function currentVersion(deps: ProxyDeps, path: ObjectPath): Promise<ObjectMetadata | undefined> {
  const state = await deps.replicas.head(path);
  return state?.kind === 'object' && !expired(state.metadata.deleteAt, Date.now() / 1000) ? state.metadata : undefined;
}

async function archiveContainer(deps: ProxyDeps, account: string, v: Versioning): Promise<Container> {
  const c = await getContainer(deps.db, account, v.location);
  if (!c) throw preconditionFailed();
  return c;
}

/** Copies a stored version byte for byte (a manifest stays a manifest) to `to`, as a new version, and lists it. */
async function copyVersion(deps: ProxyDeps, from: { path: ObjectPath; metadata: ObjectMetadata }, to: { path: ObjectPath; container: Container }): Promise<void> {
  const m = from.metadata;
  const { data } = await deps.replicas.open(from.path, { verifyMaxBytes: deps.settings.verifyOnReadMaxBytes, wanted: m });
  const timestamp = newTimestamp();
  // A read failing while the pending record is written must not be an uncaught 'error': the replicas meet it on read.
  data.on('error', () => undefined);
  try {
    await underPendingUpdate(deps, { ...to.path, op: 'put', timestamp }, () => deps.replicas.put(to.path, {
      timestamp, contentType: m.contentType, meta: m.meta, expectedEtag: m.etag, expectedSize: m.size,
      ...(m.deleteAt !== undefined ? { deleteAt: m.deleteAt } : {}), ...(m.objectManifest !== undefined ? { objectManifest: m.objectManifest } : {}),
      ...(m.slo ? { slo: m.slo } : {}),
    }, data), (stored) => recordObject(deps.db, to.container.id, {
      name: to.path.object, etag: listingEtag(stored.etag, stored.slo), bytes: stored.size, contentType: listingContentType(stored.contentType, stored.slo),
      lastModified: timestampToIso(timestamp), timestamp, ...(stored.deleteAt !== undefined ? { deleteAt: stored.deleteAt } : {}),
    }));
  } finally {
    data.destroy();
  }
}

async function deleteVersion(deps: ProxyDeps, path: ObjectPath, containerId: string): Promise<void> {
  const timestamp = newTimestamp();
  await underPendingUpdate(deps, { ...path, op: 'delete', timestamp }, () => deps.replicas.delete(path, timestamp), () => removeObject(deps.db, containerId, path.object, timestamp));
}

/**
 * Before a PUT (or COPY) over `path`: archives the current version, if any, as `<prefix><its timestamp>`. Throws 412
 * when the archive container does not exist and there is something to archive.
 */
export async function archiveCurrent(deps: ProxyDeps, path: ObjectPath, v: Versioning): Promise<void> {
  const current = await currentVersion(deps, path);
  if (!current) return;
  const archive = await archiveContainer(deps, path.account, v);
  await copyVersion(deps, { path, metadata: current }, { path: { ...path, container: v.location, object: archiveName(path.object, current.timestamp) }, container: archive });
}

/** History mode DELETE: the current version is archived and a zero-byte delete marker records when it went. */
async function pushDelete(deps: ProxyDeps, path: ObjectPath, v: Versioning): Promise<void> {
  await archiveCurrent(deps, path, v);
  const archive = await archiveContainer(deps, path.account, v);
  const timestamp = newTimestamp();
  const marker = { ...path, container: v.location, object: archiveName(path.object, timestamp) };
  await underPendingUpdate(deps, { ...marker, op: 'put', timestamp },
    () => deps.replicas.put(marker, { timestamp, contentType: DELETE_MARKER_CONTENT_TYPE, meta: {}, expectedSize: 0 }, Readable.from([])),
    (stored) => recordObject(deps.db, archive.id, { name: marker.object, etag: stored.etag, bytes: 0, contentType: DELETE_MARKER_CONTENT_TYPE, lastModified: timestampToIso(timestamp), timestamp }));
}

/** The archived versions of an object, newest first, a page at a time. */
async function* newestFirst(deps: ProxyDeps, archive: Container, objectName: string) {
  const prefix = archivePrefix(objectName);
  let marker: string | undefined;
  for (;;) {
    const page = await objectPage(deps.db, archive.id, { prefix, marker, limit: 100, reverse: true });
    yield* page;
    if (page.length < 100) return;
    marker = page[page.length - 1].name;
  }
}

/** Copies an archived version back over the object and removes it from the archive; false when it is gone already. */
async function restore(deps: ProxyDeps, archive: Container, archivedName: string, dest: { path: ObjectPath; container: Container }): Promise<boolean> {
  const archived = { ...dest.path, container: archive.name, object: archivedName };
  const metadata = await currentVersion(deps, archived);
  if (!metadata) return false;
  await copyVersion(deps, { path: archived, metadata }, dest);
  await deleteVersion(deps, archived, archive.id);
  return true;
}

/**
 * Stack mode DELETE: the newest archived version replaces the object (and leaves the archive). A newest entry that is
 * a delete marker (left by history mode) is removed instead, after restoring the version before it when the object
 * is gone. Resolves to true when the DELETE was answered this way, false when the object is deleted as usual.
 */
async function popDelete(deps: ProxyDeps, dest: { path: ObjectPath; container: Container }, v: Versioning): Promise<boolean> {
  const archive = await getContainer(deps.db, dest.path.account, v.location);
  if (!archive) return false;
  const versions = newestFirst(deps, archive, dest.path.object);
  for await (const version of versions) {
    if (version.contentType !== DELETE_MARKER_CONTENT_TYPE) {
      if (await restore(deps, archive, version.name, dest)) return true;
      continue;
    }
    if (await currentVersion(deps, dest.path)) return false;
    for await (const older of versions) {
      if (older.contentType === DELETE_MARKER_CONTENT_TYPE || await restore(deps, archive, older.name, dest)) break;
    }
    await deleteVersion(deps, { ...dest.path, container: archive.name, object: version.name }, archive.id);
    return true;
  }
  return false;
}

/**
 * Versioning's part of an object DELETE in `container` (the caller is already authorized to write there). Resolves to
 * true when the DELETE is complete (stack mode restored a version), false when the object is to be deleted as usual.
 */
export async function versionedDelete(deps: ProxyDeps, path: ObjectPath, container: Container, v: Versioning): Promise<boolean> {
  if (v.mode === 'history') {
    await pushDelete(deps, path, v);
    return false;
  }
  return popDelete(deps, { path, container }, v);
}
