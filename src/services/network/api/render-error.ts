// Neutron's error body: {"NeutronError": {"type": "<exception class>", "message": "...", "detail": ""}}. Errors from
// the shared kit (validation, auth, routing) get the type Neutron's WSGI layer gives them (HTTPBadRequest...).
import type { StratusError } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';
import { NeutronError } from '../domain/errors.ts';

const HTTP_TYPES: Record<number, string> = {
  400: 'HTTPBadRequest', 401: 'HTTPUnauthorized', 403: 'HTTPForbidden', 404: 'HTTPNotFound', 405: 'HTTPMethodNotAllowed',
  409: 'HTTPConflict', 412: 'HTTPPreconditionFailed', 413: 'HTTPRequestEntityTooLarge', 415: 'HTTPUnsupportedMediaType',
  500: 'HTTPInternalServerError', 503: 'HTTPServiceUnavailable',
};

export function neutronErrorRenderer(authUrl: () => string): ErrorRenderer {
  return (err: StratusError) => ({
    body: { NeutronError: { type: err instanceof NeutronError ? err.code : HTTP_TYPES[err.status] ?? 'NeutronException', message: err.message, detail: '' } },
    headers: err.status === 401 ? { 'www-authenticate': `Keystone uri="${authUrl()}"` } : undefined,
  });
}
