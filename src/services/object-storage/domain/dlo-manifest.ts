// Dynamic Large Object manifests: an object whose X-Object-Manifest `<container>/<prefix>` names its segments — every
// object in that container whose name starts with the prefix, in listing order.
import { badRequest } from './errors.ts';

const invalid = () => badRequest('X-Object-Manifest must be in the format container/prefix');

/** Checks an X-Object-Manifest value as a client sends it (%-encoded); 400 unless it is `<container>/<prefix>`. */
export function checkObjectManifest(value: string): void {
  const at = value.indexOf('/');
  if (at <= 0 || at === value.length - 1 || value.includes('?') || value.includes('&') || value[at + 1] === '/') throw invalid();
  parseObjectManifest(value);
}

/** The segments' container and name prefix from a stored X-Object-Manifest. */
export function parseObjectManifest(value: string): { container: string; prefix: string } {
  let decoded: string;
  try { decoded = decodeURIComponent(value); } catch { throw invalid(); }
  const at = decoded.indexOf('/');
  if (at <= 0) throw invalid();
  return { container: decoded.slice(0, at), prefix: decoded.slice(at + 1) };
}
