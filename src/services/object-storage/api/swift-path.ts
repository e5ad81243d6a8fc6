// Reads /v1/<account>[/<container>[/<object>]] from the raw request URL: the router would fold `//` and trailing
// slashes, which are meaningful in object names.
import { BadRequest } from '#lib/errors.ts';
import { checkContainerName, checkObjectName, projectOfAccount } from '../domain/names.ts';

export interface SwiftPath {
  account: string;
  container?: string;
  object?: string;
}

const decode = (s: string): string => {
  try { return decodeURIComponent(s); } catch { throw new BadRequest('Invalid UTF-8 or %-escape in the path.'); }
};

/** Parses and validates the names in a path below /v1/ (400 on a bad name). */
export function parseSwiftPath(rawUrl: string): SwiftPath {
  const path = rawUrl.split('?')[0];
  const m = /^\/v1(?:\.0)?\/([^/]+)(?:\/([^/]*)(?:\/(.*))?)?$/s.exec(path);
  if (!m) throw new BadRequest('Invalid path: expected /v1/<account>[/<container>[/<object>]].');
  const account = decode(m[1]);
  projectOfAccount(account);
  const out: SwiftPath = { account };
  if (m[2] !== undefined && m[2] !== '') {
    out.container = decode(m[2]);
    checkContainerName(out.container);
    if (m[3] !== undefined && m[3] !== '') {
      out.object = decode(m[3]);
      checkObjectName(out.object);
    }
  } else if (m[3] !== undefined && m[3] !== '') {
    throw new BadRequest('Container name is empty.');
  }
  return out;
}

/** Parses `/<container>/<object>` (X-Copy-From, Destination without a leading slash too). */
export function parseCopyPath(value: string): { container: string; object: string } {
  const m = /^\/?([^/]+)\/(.+)$/s.exec(value);
  if (!m) throw new BadRequest('Destination header must be of the form <container name>/<object name>');
  const container = decode(m[1]);
  const object = decode(m[2]);
  checkContainerName(container);
  checkObjectName(object);
  return { container, object };
}
