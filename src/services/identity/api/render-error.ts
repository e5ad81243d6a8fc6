// Keystone's error body: {"error": {"code", "title", "message"}}, with WWW-Authenticate on 401.
import { STATUS_CODES } from 'node:http';
import type { StratusError } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';

export function keystoneErrorRenderer(publicUrl: () => string): ErrorRenderer {
  return (err: StratusError) => ({
    body: { error: { code: err.status, title: STATUS_CODES[err.status] ?? 'Error', message: err.message } },
    headers: err.status === 401 ? { 'www-authenticate': `Keystone uri="${publicUrl()}"` } : undefined,
  });
}
