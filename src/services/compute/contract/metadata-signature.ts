// The one wire contract between Networking's metadata proxy and Compute's metadata API: the proxy names the instance
// in X-Instance-ID and signs it in X-Instance-ID-Signature with the `metadata_proxy` shared secret; Compute checks it.
import { createHmac } from 'node:crypto';

/** Hex HMAC-SHA256 of the instance id with the shared secret, as Nova's metadata API expects. */
export const signInstanceId = (instanceId: string, secret: string): string => createHmac('sha256', secret).update(instanceId).digest('hex');
