// Object versioning as Swift's versioned_writes middleware (its legacy mode) defines it: a container names an archive
// container in X-Versions-Location (stack mode: a DELETE brings the previous version back) or X-History-Location
// (history mode: a DELETE archives the object and leaves a delete marker). Archived copies are named
// `<3 hex digits: the name's length><name>/<timestamp>`, so one object's versions list together, oldest first.
import { BadRequest, PreconditionFailed } from '#lib/errors.ts';

export type VersioningMode = 'stack' | 'history';

export interface Versioning { location: string; mode: VersioningMode }

/** The content type of a history-mode delete marker (a zero-byte object in the archive). */
export const DELETE_MARKER_CONTENT_TYPE = 'application/x-deleted;swift_versions_deleted=1';

/** Container sysmeta keys the settings live under. */
const LOCATION = 'versions-location';
const MODE = 'versions-mode';

type HeaderOf = (name: string) => string | undefined;

/**
 * The sysmeta changes a container PUT/POST asks for (undefined: versioning untouched). An empty value or
 * X-Remove-Versions-Location/X-Remove-History-Location turns versioning off; both locations at once is a 400, an
 * empty name or one with a slash a 412, as on Swift.
 */
export function versioningChanges(header: HeaderOf): Record<string, string | undefined> | undefined {
  let versions = header('x-versions-location');
  let history = header('x-history-location');
  if (versions !== undefined && history !== undefined) {
    if (history === '') history = undefined;
    else if (versions !== '') throw new BadRequest('Only one of X-Versions-Location or X-History-Location may be specified');
    else versions = undefined;
  }
  const value = versions ?? history;
  if (value !== undefined && value !== '') {
    if (value.includes('/')) throw new PreconditionFailed('Container name cannot contain slashes');
    return { [LOCATION]: value, [MODE]: versions !== undefined ? 'stack' : 'history' };
  }
  const remove = value === '' || ['x-remove-versions-location', 'x-remove-history-location'].some((h) => (header(h) ?? '') !== '');
  return remove ? { [LOCATION]: undefined, [MODE]: undefined } : undefined;
}

/** A container's versioning from its sysmeta, if on. The location is stored as sent (it may be %-encoded). */
export function versioningOf(sysmeta: Record<string, string>): Versioning | undefined {
  const location = sysmeta[LOCATION];
  if (!location) return undefined;
  let decoded = location;
  try { decoded = decodeURIComponent(location); } catch { /* not %-encoded: the name as it is */ }
  return { location: decoded.split('/')[0], mode: sysmeta[MODE] === 'history' ? 'history' : 'stack' };
}

/** The header a container HEAD/GET shows its versioning under. */
export function versioningHeaders(sysmeta: Record<string, string>): Record<string, string> {
  const location = sysmeta[LOCATION];
  if (!location) return {};
  return { [sysmeta[MODE] === 'history' ? 'x-history-location' : 'x-versions-location']: location };
}

/** Where an object's archived versions are listed: its length as 3 hex digits (UTF-8 bytes), then the name and a slash. */
export const archivePrefix = (objectName: string): string => `${Buffer.byteLength(objectName).toString(16).padStart(3, '0')}${objectName}/`;

/** An archived version's name: the prefix and the version's Swift timestamp. */
export const archiveName = (objectName: string, timestamp: string): string => `${archivePrefix(objectName)}${timestamp}`;
