// The typed REST client of the Image service, as Compute uses it: read an image's record with the user's token (plus
// the calling service's own token, as OpenStack services send both) and stream its data.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { NotFound, RemoteError, ServiceUnavailable } from '#lib/errors.ts';

/** An image as Glance v2 shows it; custom properties sit beside the core fields. */
export interface ImageRecord {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_ram: number;
  min_disk: number;
  owner: string | null;
  [property: string]: unknown;
}

export interface ImageAuth {
  /** The user's token: Image decides what the user may see. */
  token: string;
  /** The calling service's token (X-Service-Token). */
  serviceToken?: string;
  globalRequestId?: string;
}

export interface ImageClient {
  /** The image, or undefined when it does not exist or the user may not see it. */
  getImage(id: string, auth: ImageAuth): Promise<ImageRecord | undefined>;
  /** The image's data as a stream (rejects when it has none). */
  download(id: string, auth: ImageAuth): Promise<Readable>;
}

export function createImageClient(opts: { endpoint: string; timeoutMs?: number }): ImageClient {
  const base = opts.endpoint.replace(/\/+$/, '');
  const headersOf = (auth: ImageAuth): Record<string, string> => ({
    'x-auth-token': auth.token,
    ...(auth.serviceToken ? { 'x-service-token': auth.serviceToken } : {}),
    ...(auth.globalRequestId ? { 'x-openstack-request-id': auth.globalRequestId } : {}),
  });
  async function send(path: string, auth: ImageAuth, accept: string): Promise<Response> {
    try {
      return await fetch(`${base}${path}`, { headers: { accept, ...headersOf(auth) }, signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
    } catch (err) {
      throw new ServiceUnavailable(`Image service at ${base} is unreachable: ${(err as Error).message}`);
    }
  }
  const failure = async (res: Response) => new RemoteError(res.status, 'ImageError', `Image service answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return {
    async getImage(id, auth) {
      const res = await send(`/v2/images/${encodeURIComponent(id)}`, auth, 'application/json');
      if (res.status === 404) return undefined;
      if (!res.ok) throw await failure(res);
      return (await res.json()) as ImageRecord;
    },
    async download(id, auth) {
      const res = await send(`/v2/images/${encodeURIComponent(id)}/file`, auth, 'application/octet-stream');
      if (res.status === 404) throw new NotFound(`Image ${id} could not be found.`);
      if (!res.ok || !res.body || res.status === 204) throw await failure(res);
      return Readable.fromWeb(res.body as WebReadableStream);
    },
  };
}
