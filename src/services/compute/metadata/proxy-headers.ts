// Who a metadata request is for. Only Networking's metadata proxy is trusted: it names the instance and signs the
// name with the shared secret (hex HMAC-SHA256), so a guest cannot ask for another instance's documents.
import { timingSafeEqual } from 'node:crypto';
import { BadRequest, Forbidden } from '#lib/errors.ts';

export interface ProxiedRequest {
  instanceId: string;
  tenantId: string;
  /** The guest's address as the proxy saw it (first X-Forwarded-For entry); undefined when not sent. */
  guestAddress?: string;
}

import { signInstanceId } from '../contract/metadata-signature.ts';

export { signInstanceId };

function single(headers: Record<string, string[] | undefined>, name: string, label: string): string {
  const values = headers[name];
  if (!values?.length) throw new BadRequest(`${label} header is missing from request.`);
  if (values.length > 1) throw new BadRequest(`Multiple ${label} headers found within request.`);
  return values[0];
}

/**
 * Checks the proxy's headers (`headersDistinct`, so a repeated header is seen as such): 400 when one is missing or
 * repeated, 403 when the signature does not match (compared in constant time). Does not look the instance up.
 */
export function verifyProxyHeaders(headers: Record<string, string[] | undefined>, secret: string): ProxiedRequest {
  const instanceId = single(headers, 'x-instance-id', 'X-Instance-ID');
  const signature = single(headers, 'x-instance-id-signature', 'X-Instance-ID-Signature');
  const tenantId = single(headers, 'x-tenant-id', 'X-Tenant-ID');
  const expected = Buffer.from(signInstanceId(instanceId, secret));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Forbidden('Invalid proxy request signature.');
  const forwarded = headers['x-forwarded-for']?.join(',').split(',')[0].trim();
  return { instanceId, tenantId, guestAddress: forwarded || undefined };
}
