// The typed REST client of the Image service, as Compute uses it: read an image's record with the user's token (plus
// the calling service's own token, as OpenStack services send both), stream its data, and make snapshot images.
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
  /** The Image service's root URL (Nova's createImage answers with an image URL under it). */
  readonly endpoint: string;
  /** The image, or undefined when it does not exist or the user may not see it. */
  getImage(id: string, auth: ImageAuth): Promise<ImageRecord | undefined>;
  /** The image's data as a stream (rejects when it has none). */
  download(id: string, auth: ImageAuth): Promise<Readable>;
  /** Creates a queued image record (POST /v2/images) owned by the token's project. */
  createImage(body: Record<string, unknown>, auth: ImageAuth): Promise<ImageRecord>;
  /** Sets core fields and properties with JSON-patch `replace`/`add` operations. */
  updateImage(id: string, changes: Record<string, unknown>, auth: ImageAuth): Promise<ImageRecord>;
  /** Streams data into a queued image (PUT /v2/images/{id}/file); Image verifies and activates it. */
  upload(id: string, data: Readable, auth: ImageAuth): Promise<void>;
  /** Deletes an image; a missing image is fine. */
  deleteImage(id: string, auth: ImageAuth): Promise<void>;
}

export function createImageClient(opts: { endpoint: string; timeoutMs?: number }): ImageClient {
  const base = opts.endpoint.replace(/\/+$/, '');
  const headersOf = (auth: ImageAuth): Record<string, string> => ({
    'x-auth-token': auth.token,
    ...(auth.serviceToken ? { 'x-service-token': auth.serviceToken } : {}),
    ...(auth.globalRequestId ? { 'x-openstack-request-id': auth.globalRequestId } : {}),
  });
  /**
   * One request. The timeout covers getting the answer's headers; `streaming` requests (image data, which takes as long
   * as the image is big) then read their body without a deadline, ended only by the stream's own errors.
   */
  async function send(path: string, auth: ImageAuth, accept: string, init: { method?: string; contentType?: string; body?: RequestInit['body']; duplex?: 'half'; streaming?: boolean } = {}): Promise<Response> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error('timed out')), opts.timeoutMs ?? 30_000);
    try {
      return await fetch(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: { accept, ...headersOf(auth), ...(init.contentType ? { 'content-type': init.contentType } : {}) },
        body: init.body, ...(init.duplex ? { duplex: init.duplex } : {}),
        // An upload's request body streams before any header comes back: it gets no deadline at all.
        signal: init.streaming && init.body ? undefined : abort.signal,
      } as RequestInit);
    } catch (err) {
      throw new ServiceUnavailable(`Image service at ${base} is unreachable: ${(err as Error).message}`);
    } finally {
      if (init.streaming) clearTimeout(timer);
      else timer.unref();
    }
  }
  const failure = async (res: Response) => new RemoteError(res.status, 'ImageError', `Image service answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return {
    endpoint: base,
    async getImage(id, auth) {
      const res = await send(`/v2/images/${encodeURIComponent(id)}`, auth, 'application/json');
      if (res.status === 404) return undefined;
      if (!res.ok) throw await failure(res);
      return (await res.json()) as ImageRecord;
    },
    async download(id, auth) {
      const res = await send(`/v2/images/${encodeURIComponent(id)}/file`, auth, 'application/octet-stream', { streaming: true });
      if (res.status === 404) throw new NotFound(`Image ${id} could not be found.`);
      if (!res.ok || !res.body || res.status === 204) throw await failure(res);
      return Readable.fromWeb(res.body as WebReadableStream);
    },
    async createImage(body, auth) {
      const res = await send('/v2/images', auth, 'application/json', { method: 'POST', contentType: 'application/json', body: JSON.stringify(body) });
      if (res.status !== 201) throw await failure(res);
      return (await res.json()) as ImageRecord;
    },
    async updateImage(id, changes, auth) {
      const ops = Object.entries(changes).map(([k, value]) => ({ op: 'add', path: `/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`, value }));
      const res = await send(`/v2/images/${encodeURIComponent(id)}`, auth, 'application/json',
        { method: 'PATCH', contentType: 'application/openstack-images-v2.1-json-patch', body: JSON.stringify(ops) });
      if (!res.ok) throw await failure(res);
      return (await res.json()) as ImageRecord;
    },
    async upload(id, data, auth) {
      // Uploads take as long as the disk is big: no overall timeout, the stream's own errors end it.
      const res = await send(`/v2/images/${encodeURIComponent(id)}/file`, auth, 'application/json', {
        method: 'PUT', contentType: 'application/octet-stream', body: Readable.toWeb(data) as unknown as RequestInit['body'], duplex: 'half', streaming: true,
      });
      if (res.status !== 204) throw await failure(res);
    },
    async deleteImage(id, auth) {
      const res = await send(`/v2/images/${encodeURIComponent(id)}`, auth, 'application/json', { method: 'DELETE' });
      if (res.status !== 204 && res.status !== 404) throw await failure(res);
    },
  };
}
