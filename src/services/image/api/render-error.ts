// Glance's error bodies, as webob renders them: the client's Accept header picks HTML, JSON or plain text. Clients
// that accept anything (glanceclient sends `*/*`) get HTML and parse the message out of it; JSON clients
// (openstacksdk) get {"message", "code": "<status> <reason>", "title"}.
import { STATUS_CODES } from 'node:http';
import type { StratusError } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';

/** webob's reason phrases where they differ from Node's. */
const TITLES: Record<number, string> = { 413: 'Request Entity Too Large', 416: 'Request Range Not Satisfiable' };

type ErrorFormat = 'html' | 'json' | 'plain';

/** webob's choice: the better of text/html and application/json by q-value (HTML on a tie), else plain text. */
export function errorFormatFor(accept: string | undefined): ErrorFormat {
  if (accept === undefined || accept.trim() === '') return 'html';
  const quality = { html: 0, json: 0 };
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';').map((x) => x.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    // Each offer takes the best q of the ranges that match it (a simplification of RFC 9110's most-specific rule
    // that only differs for headers that list a type and its wildcard with different weights).
    if (range === '*/*' || range === 'text/*' || range === 'text/html') quality.html = Math.max(quality.html, q);
    if (range === '*/*' || range === 'application/*' || range === 'application/json') quality.json = Math.max(quality.json, q);
  }
  if (quality.html <= 0 && quality.json <= 0) return 'plain';
  return quality.json > quality.html ? 'json' : 'html';
}

/** Escapes text content (the message never lands in an attribute, so quotes stay readable for glanceclient). */
const escapeHtml = (text: string) => text.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Errors may carry response headers in `details.headers` (Accept-Patch on a 415, for one). */
export function glanceErrorRenderer(authUri: () => string): ErrorRenderer {
  return (err: StratusError, req) => {
    const title = TITLES[err.status] ?? STATUS_CODES[err.status] ?? 'Error';
    const status = `${err.status} ${title}`;
    const headers: Record<string, string> = { ...(err.details as { headers?: Record<string, string> } | undefined)?.headers };
    if (err.status === 401) headers['www-authenticate'] = `Keystone uri="${authUri()}"`;
    const format = errorFormatFor(req?.accept);
    if (format === 'json') return { body: { message: err.message, code: status, title }, headers };
    if (format === 'plain') return { body: `${status}\n\n${err.message}\n`, headers, contentType: 'text/plain; charset=UTF-8' };
    const page = `<html>\n <head>\n  <title>${status}</title>\n </head>\n <body>\n  <h1>${status}</h1>\n  ${escapeHtml(err.message)}<br /><br />\n </body>\n</html>`;
    return { body: page, headers, contentType: 'text/html; charset=UTF-8' };
  };
}
