// The storage node over HTTP (scale-out): Swift's object-server routes (PUT/GET/HEAD/POST/DELETE
// /<device>/<partition>/<account>/<container>/<object> with X-Timestamp, streamed bodies, Range) and the replication
// calls under /_replication, mapped onto this node's object server and replication endpoint. Every request must carry
// the nodes' shared-secret signature; every address part is checked (400) and devices not served here answer 507.
// Plain node:http rather than Fastify: bodies are raw byte streams passed through with backpressure, and the few
// JSON bodies are checked field by field by the wire module.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from '#lib/log.ts';
import { isStratusError, StratusError } from '#lib/errors.ts';
import { badRequest } from '../domain/errors.ts';
import { CONSTRAINTS } from '../domain/names.ts';
import type { ObjectAddress, ObjectServer, PutObjectOptions } from '../rpc/object-server.ts';
import type { ReplicationServer, VersionFiles } from '../rpc/object-replication.ts';
import {
  DEVICES_PATH, FILES_HEADER, METADATA_HEADER, checkDevice, checkHash, checkMetadata, checkName, checkPartition, checkSuffixes, checkTimestamp,
  checkVersion, decodeJsonHeader, decodeSegment, encodeJsonHeader, isStringRecord, placementDigest, verifySignature,
} from '../rpc/storage-node-wire.ts';

export interface StorageNodeHttpDeps {
  /** This node's ring: its partition power bounds partitions; its placement digest answers the probe. */
  ring: { partPower: number; hashSuffix: string };
  /** The devices this node serves; any other device answers 507. */
  devices: readonly string[];
  objects: ObjectServer;
  replication: ReplicationServer;
  secret: string;
  log: Logger;
}

export interface StorageNodeHttpServer {
  server: Server;
  /** Listens and resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

const insufficientStorage = (device: string) => new StratusError(507, 'InsufficientStorage', `Device ${device} is not available on this node.`);
const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 256 * 1024) throw badRequest('Request body too large.');
    chunks.push(chunk as Buffer);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch { /* answered below */ }
  throw badRequest('The body must be a JSON object.');
}

function optionalInt(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v)) throw badRequest(`Invalid ${what}.`);
  return Number(v);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** Streams a body out; a failure mid-stream (a replica found corrupt) aborts the response so the client sees it. */
function sendStream(res: ServerResponse, data: Readable): void {
  data.on('error', (err) => res.destroy(err));
  res.on('close', () => data.destroy());
  data.pipe(res);
}

export function createStorageNodeHttp(deps: StorageNodeHttpDeps): StorageNodeHttpServer {
  const served = new Set(deps.devices);
  const device = (segment: string): string => {
    const name = checkDevice(decodeSegment(segment));
    if (!served.has(name) || !deps.objects.available(name)) throw insufficientStorage(name);
    return name;
  };

  async function objectRequest(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    const addr: ObjectAddress = {
      device: device(parts[0]), partition: checkPartition(parts[1], deps.ring.partPower),
      account: checkName('account', decodeSegment(parts[2]), CONSTRAINTS.max_account_name_length),
      container: checkName('container', decodeSegment(parts[3]), CONSTRAINTS.max_container_name_length),
      object: checkName('object', decodeSegment(parts[4]), CONSTRAINTS.max_object_name_length),
    };
    const h = req.headers;
    switch (req.method) {
      case 'PUT': {
        const meta = decodeJsonHeader<unknown>(h['x-backend-meta'], 'X-Backend-Meta');
        const slo = h['x-backend-slo'] === undefined ? undefined : decodeJsonHeader<{ etag: string; size: number }>(h['x-backend-slo'], 'X-Backend-Slo');
        if (!isStringRecord(meta)) throw badRequest('Invalid object metadata.');
        if (slo && (typeof slo.etag !== 'string' || !Number.isSafeInteger(slo.size))) throw badRequest('Invalid X-Backend-Slo.');
        const etag = single(h.etag);
        if (etag !== undefined && !/^[0-9a-fA-F]{32}$/.test(etag)) throw badRequest('Invalid ETag.');
        const deleteAt = optionalInt(single(h['x-delete-at']), 'X-Delete-At');
        const expectedSize = optionalInt(single(h['x-backend-expected-size']), 'X-Backend-Expected-Size');
        const manifest = single(h['x-object-manifest']);
        const opts: PutObjectOptions = {
          timestamp: checkTimestamp(single(h['x-timestamp'])), contentType: single(h['content-type']) ?? 'application/octet-stream', meta,
          ...(deleteAt !== undefined ? { deleteAt } : {}), ...(etag !== undefined ? { expectedEtag: etag } : {}),
          ...(expectedSize !== undefined ? { expectedSize } : {}), ...(manifest !== undefined ? { objectManifest: decodeSegment(manifest) } : {}),
          ...(slo ? { slo: { etag: slo.etag, size: slo.size } } : {}),
        };
        const metadata = await deps.objects.put(addr, opts, req);
        res.writeHead(201, { [METADATA_HEADER]: encodeJsonHeader(metadata), 'content-length': 0 }).end();
        return;
      }
      case 'HEAD': {
        const state = await deps.objects.head(addr);
        if (state?.kind === 'object') res.writeHead(200, { [METADATA_HEADER]: encodeJsonHeader(state.metadata), 'content-length': state.metadata.size }).end();
        else res.writeHead(404, state ? { 'x-backend-timestamp': state.timestamp } : {}).end();
        return;
      }
      case 'GET': {
        const range = single(h['x-backend-range']);
        const m = range === undefined ? undefined : /^(\d{1,16})-(\d{1,16})$/.exec(range);
        if (range !== undefined && (!m || Number(m[1]) > Number(m[2]))) throw badRequest('Invalid X-Backend-Range.');
        const got = await deps.objects.get(addr, { range: m ? { start: Number(m[1]), end: Number(m[2]) } : undefined, verify: h['x-backend-verify'] === '1' });
        if (!got) { res.writeHead(404, { 'content-length': 0 }).end(); return; }
        res.writeHead(m ? 206 : 200, { [METADATA_HEADER]: encodeJsonHeader(got.metadata) });
        sendStream(res, got.data);
        return;
      }
      case 'POST': {
        const b = await readJson(req);
        if (!isStringRecord(b.meta) || (b.contentType !== undefined && typeof b.contentType !== 'string')
          || (b.deleteAt !== undefined && b.deleteAt !== null && !Number.isSafeInteger(b.deleteAt))
          || (b.objectManifest !== undefined && b.objectManifest !== null && typeof b.objectManifest !== 'string')) throw badRequest('Invalid POST body.');
        const done = await deps.objects.post(addr, {
          timestamp: checkTimestamp(b.timestamp), meta: b.meta, ...(b.contentType !== undefined ? { contentType: b.contentType as string } : {}),
          ...(b.deleteAt !== undefined ? { deleteAt: b.deleteAt as number | null } : {}), ...(b.objectManifest !== undefined ? { objectManifest: b.objectManifest as string | null } : {}),
        });
        res.writeHead(done ? 202 : 404, { 'content-length': 0 }).end();
        return;
      }
      case 'DELETE': {
        const ifDeleteAt = optionalInt(single(h['x-if-delete-at']), 'X-If-Delete-At');
        await deps.objects.delete(addr, { timestamp: checkTimestamp(single(h['x-timestamp'])), ...(ifDeleteAt !== undefined ? { ifDeleteAt } : {}) });
        res.writeHead(204).end();
        return;
      }
      default: throw new StratusError(405, 'MethodNotAllowed', 'Method not allowed.');
    }
  }

  async function replicationRequest(req: IncomingMessage, res: ServerResponse, parts: string[]): Promise<void> {
    const dev = device(parts[0]);
    if (parts.length === 1 && req.method === 'GET') return sendJson(res, 200, await deps.replication.partitions(dev));
    if (parts.length !== 3) throw new StratusError(404, 'NotFound', 'No such replication call.');
    const partition = checkPartition(parts[1], deps.ring.partPower);
    const call = `${req.method} ${parts[2]}`;
    if (call === 'POST hashes') {
      const b = await readJson(req);
      const recalculate = b.recalculate === undefined ? undefined : checkSuffixes(b.recalculate);
      return sendJson(res, 200, await deps.replication.suffixHashes(dev, partition, recalculate ? { recalculate } : {}));
    }
    if (call === 'POST versions') return sendJson(res, 200, await deps.replication.versions(dev, partition, checkSuffixes((await readJson(req)).suffixes)));
    if (call === 'POST drop') {
      await deps.replication.drop(dev, partition, checkVersion((await readJson(req)).version));
      res.writeHead(204).end();
      return;
    }
    if (call === 'POST read') {
      const b = await readJson(req);
      const files = await deps.replication.readVersion(dev, partition, checkVersion(b.version), { metadataOnly: b.metadataOnly === true });
      if (!files) { res.writeHead(404, { 'content-length': 0 }).end(); return; }
      const { data, ...described } = files as VersionFiles & { data?: Readable };
      res.writeHead(200, { [FILES_HEADER]: encodeJsonHeader({ ...described, hasData: data !== undefined }), ...(data ? {} : { 'content-length': 0 }) });
      if (data) sendStream(res, data);
      else res.end();
      return;
    }
    if (call === 'PUT receive') {
      const d = decodeJsonHeader<Record<string, unknown>>(req.headers[FILES_HEADER], 'X-Backend-Files');
      const hash = checkHash(d.hash);
      const files: VersionFiles = d.kind === 'ts' ? { hash, kind: 'ts', timestamp: checkTimestamp(d.timestamp) }
        : d.kind === 'data' ? { hash, kind: 'data', metadata: checkMetadata(d.metadata), ...(d.hasData === true ? { data: req } : {}) }
          : (() => { throw badRequest('Invalid version kind.'); })();
      return sendJson(res, 200, { changed: await deps.replication.receive(dev, partition, files) });
    }
    throw new StratusError(404, 'NotFound', 'No such replication call.');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (!verifySignature(deps.secret, req.method ?? '', url, req.headers)) throw new StratusError(401, 'Unauthorized', 'Missing or invalid storage node signature.');
    const path = url.split('?')[0];
    const parts = path.split('/').slice(1);
    if (parts.length === 5) return objectRequest(req, res, parts);
    if (parts[0] === '_replication' && parts.length >= 2) return replicationRequest(req, res, parts.slice(1));
    if (path === DEVICES_PATH && req.method === 'GET') return sendJson(res, 200, { devices: deps.devices.filter((d) => deps.objects.available(d)), placement: placementDigest(deps.ring) });
    throw new StratusError(404, 'NotFound', 'No such storage node path.');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const known = isStratusError(err);
      if (!known) deps.log.error({ err, method: req.method, url: req.url }, 'storage node request failed');
      if (res.headersSent) { res.destroy(); return; }
      const status = known ? err.status : 500;
      const body = JSON.stringify(known ? { code: err.code, message: err.message } : { code: 'InternalError', message: 'The storage node failed.' });
      // A body not read yet (a refused PUT) is not drained: the connection closes instead.
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(req.complete ? {} : { connection: 'close' }) }).end(body);
    });
  });
  server.keepAliveTimeout = 30_000;

  return {
    server,
    listen: (host, port) => new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => { server.off('error', reject); resolve((server.address() as AddressInfo).port); });
    }),
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
