// The noVNC console page: Stratus's own vnc_lite.html (and its script and style, beside this file in novnc-page/)
// with the noVNC client's ES modules from the @novnc/novnc package (core/, vendor/), served as they are: the browser
// loads them as native modules, so nothing is bundled.
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const PAGE_DIR = join(import.meta.dirname, 'novnc-page');
/** The package's root: its only export is core/rfb.js. */
const NOVNC_DIR = resolve(dirname(fileURLToPath(import.meta.resolve('@novnc/novnc'))), '..');

/** Only these kinds of file are served, so a README or a licence in the package is not. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

// The page loads nothing from elsewhere and talks only to this proxy's websocket; noVNC draws cursors from data: URLs.
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** The file a URL path names: the page's own files, or noVNC's under core/ and vendor/; undefined for anything else. */
export function noVncFileFor(urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || !CONTENT_TYPES[extname(path)]) return undefined;
  const fromPackage = path.startsWith('/core/') || path.startsWith('/vendor/');
  const root = fromPackage ? NOVNC_DIR : PAGE_DIR;
  const file = resolve(root, `.${path}`);
  // resolve() has folded any '..': what is left must still be inside its root (and, for the package, in core/ or vendor/).
  const inside = fromPackage ? [join(root, 'core') + sep, join(root, 'vendor') + sep] : [root + sep];
  if (!inside.some((prefix) => file.startsWith(prefix))) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Answers a GET or HEAD for the page or one of its modules; false when the path names none of them (the caller answers 404). */
export function serveNoVncFile(req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://proxy').pathname;
  const file = noVncFileFor(path === '/' ? '/vnc_lite.html' : path);
  if (!file) return false;
  const type = CONTENT_TYPES[extname(file)];
  res.writeHead(200, {
    'content-type': type, 'content-length': statSync(file).size, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff',
    // The page's URL carries the console token: it must not leak in a Referer.
    'referrer-policy': 'no-referrer',
    ...(type.startsWith('text/html') ? { 'content-security-policy': PAGE_POLICY } : {}),
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}
