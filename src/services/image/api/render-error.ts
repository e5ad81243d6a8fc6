// Glance's error body, as webob renders it for JSON clients: {"message", "code": "<status> <reason>", "title"}.
import { STATUS_CODES } from 'node:http';
import type { StratusError } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';

/** webob's reason phrases where they differ from Node's. */
const TITLES: Record<number, string> = { 413: 'Request Entity Too Large', 416: 'Request Range Not Satisfiable' };

/** Errors may carry response headers in `details.headers` (Accept-Patch on a 415, for one). */
export function glanceErrorRenderer(authUri: () => string): ErrorRenderer {
  return (err: StratusError) => {
    const title = TITLES[err.status] ?? STATUS_CODES[err.status] ?? 'Error';
    const headers: Record<string, string> = { ...(err.details as { headers?: Record<string, string> } | undefined)?.headers };
    if (err.status === 401) headers['www-authenticate'] = `Keystone uri="${authUri()}"`;
    return { body: { message: err.message, code: `${err.status} ${title}`, title }, headers };
  };
}
