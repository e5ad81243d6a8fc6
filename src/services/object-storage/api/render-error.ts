// Swift's error responses: a short plain-text body saying what was wrong, with the status, as Swift's proxy sends them.
import { STATUS_CODES } from 'node:http';
import type { StratusError } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';

/** Errors may carry response headers in `details.headers` (Content-Range on a 416, for one). */
export function swiftErrorRenderer(authUri: () => string): ErrorRenderer {
  return (err: StratusError) => {
    const headers: Record<string, string> = { ...(err.details as { headers?: Record<string, string> } | undefined)?.headers };
    if (err.status === 401) headers['www-authenticate'] = `Keystone uri='${authUri()}'`;
    const body = err.status === 304 ? '' : (err.message || STATUS_CODES[err.status] || 'Error');
    return { body, headers, contentType: 'text/plain; charset=utf-8' };
  };
}
