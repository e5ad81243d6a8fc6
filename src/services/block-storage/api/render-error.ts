// Cinder's error body: {"<fault name>": {"message": "...", "code": <status>}}, the fault name chosen by status as
// cinder.api.openstack.wsgi does (itemNotFound, badRequest, overLimit…); 401 also names Identity in WWW-Authenticate.
import type { StratusError } from '#lib/errors.ts';
import type { ErrorRenderer } from '#lib/http/server.ts';

const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
  413: 'overLimit', 415: 'badMediaType', 429: 'overLimit', 501: 'notImplemented', 503: 'serviceUnavailable',
};

export function cinderErrorRenderer(authUrl: () => string): ErrorRenderer {
  return (err: StratusError) => ({
    body: { [FAULT_NAMES[err.status] ?? 'computeFault']: { message: err.message, code: err.status } },
    headers: err.status === 401 ? { 'www-authenticate': `Keystone uri="${authUrl()}"` } : undefined,
  });
}
