// Cross-origin resource sharing as Swift's proxy does it: a container's X-Container-Meta-Access-Control-Allow-Origin
// (space-separated origins or `*`), -Max-Age and -Expose-Headers, plus origins allowed cluster-wide, decide whether a
// browser may call; a preflight answers with the allowed methods, an actual response exposes the headers a page may read.

export interface CorsSettings {
  allowOrigin?: string;
  maxAge?: string;
  exposeHeaders?: string;
}

/** The CORS settings in a container's user metadata. */
export function corsOf(meta: Record<string, string>): CorsSettings {
  return {
    ...(meta['access-control-allow-origin'] !== undefined ? { allowOrigin: meta['access-control-allow-origin'] } : {}),
    ...(meta['access-control-max-age'] !== undefined ? { maxAge: meta['access-control-max-age'] } : {}),
    ...(meta['access-control-expose-headers'] !== undefined ? { exposeHeaders: meta['access-control-expose-headers'] } : {}),
  };
}

const words = (v: string | undefined): string[] => (v ?? '').split(' ').map((w) => w.trim()).filter(Boolean);

/** Whether `origin` is allowed by the container's origins or the cluster's (`*` allows any). */
export function originAllowed(cors: CorsSettings, clusterOrigins: readonly string[], origin: string): boolean {
  const allowed = new Set([...words(cors.allowOrigin), ...clusterOrigins]);
  return allowed.has(origin) || allowed.has('*');
}

/** The Access-Control-Allow-Origin to answer: `*` when the container allows any origin, else the caller's origin. */
export const allowOriginValue = (cors: CorsSettings, origin: string): string => (cors.allowOrigin?.trim() === '*' ? '*' : origin);

/** Headers every CORS response exposes, as Swift's proxy lists them. */
const EXPOSED = ['cache-control', 'content-language', 'content-type', 'expires', 'last-modified', 'pragma', 'etag', 'x-timestamp', 'x-trans-id', 'x-openstack-request-id'];

/** Access-Control-Expose-Headers for a response carrying `responseHeaders`: the defaults, its metadata, the container's list. */
export function exposeHeadersValue(cors: CorsSettings, responseHeaders: string[]): string {
  const out = new Set(EXPOSED);
  for (const h of responseHeaders) if (/^x-(container|object)-meta-/i.test(h)) out.add(h.toLowerCase());
  for (const h of words(cors.exposeHeaders)) out.add(h.toLowerCase());
  return [...out].join(', ');
}

/** Adds `value` to a Vary header. */
export const withVary = (current: string | undefined, value: string): string => (current ? `${current}, ${value}` : value);
