// The object server and replication endpoint of devices on other hosts, over HTTP (agent/storage-node-http.ts): one
// client for every remote device of the ring, reached at the device's ip:port, requests signed with the nodes' shared
// secret. A node that refuses connections or times out is marked down at once (the proxy then writes to handoffs, as
// Swift's error limiting does) and marked up again by a probe of its devices every `checkIntervalMs`.
import { Agent, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '#lib/log.ts';
import { StratusError } from '#lib/errors.ts';
import { CorruptReplica, badRequest, etagMismatch } from '../domain/errors.ts';
import type { Ring, RingDevice } from '../domain/ring/ring.ts';
import type { ObjectMetadata, ObjectServer, ObjectState } from './object-server.ts';
import type { ReplicaVersion, ReplicationServer, VersionFiles } from './object-replication.ts';
import {
  DEVICES_PATH, FILES_HEADER, METADATA_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, decodeJsonHeader, encodeJsonHeader, objectPath, placementDigest, replicationPath, signRequest,
} from './storage-node-wire.ts';

export interface StorageNodeClientOptions {
  ring: Ring;
  secret: string;
  log: Logger;
  /** Connect-and-answer timeout per request (Swift's node_timeout); a body then streams without one. */
  timeoutMs: number;
  /** How often down nodes are probed (and device lists refreshed); 0: never (tests). */
  checkIntervalMs: number;
}

export interface StorageNodeClient extends ObjectServer, ReplicationServer {
  available(device: string): boolean;
  /** Probes every node now: which are up and which of their devices are present. */
  check(): Promise<void>;
  close(): void;
}

interface NodeState { key: string; ip: string; port: number; up: boolean; devices?: Set<string> }

/** Whether a ring device is served by a storage node over HTTP rather than by this process. */
export const isRemoteDevice = (d: RingDevice): boolean => d.ip !== undefined && d.port !== undefined;

export function createStorageNodeClient(opts: StorageNodeClientOptions): StorageNodeClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const nodes = new Map<string, NodeState>();
  const byDevice = new Map<string, NodeState>();
  for (const d of opts.ring.devices.filter(isRemoteDevice)) {
    const key = `${d.ip}:${d.port}`;
    if (!nodes.has(key)) nodes.set(key, { key, ip: d.ip!, port: d.port!, up: true });
    byDevice.set(d.name, nodes.get(key)!);
  }
  const nodeOf = (device: string): NodeState => {
    const node = byDevice.get(device);
    if (!node) throw new StratusError(507, 'InsufficientStorage', `Device ${device} has no storage node address in the ring.`);
    return node;
  };
  function markDown(node: NodeState, err: Error): void {
    if (node.up) opts.log.warn({ node: node.key, err: err.message }, 'storage node unreachable; using handoffs until it answers again');
    node.up = false;
  }

  /** Sends a signed request; resolves with the response once its headers arrive. */
  function send(node: NodeState, method: string, path: string, headers: Record<string, string | number>, body?: Readable | string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const ts = Math.floor(Date.now() / 1000);
      const req = request({
        host: node.ip, port: node.port, method, path, agent,
        headers: { ...headers, [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signRequest(opts.secret, method, path, ts) },
      });
      let answered = false;
      // A failed request body (the client's upload broke) says nothing about the node.
      let bodyFailed = false;
      req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`storage node ${node.key} did not answer within ${opts.timeoutMs} ms`)));
      req.on('error', (err) => {
        if (answered) return;
        if (!bodyFailed) markDown(node, err);
        reject(err);
      });
      req.on('response', (res) => {
        answered = true;
        req.setTimeout(0);
        res.on('error', () => undefined);
        // An early answer (a refused PUT): stop sending; the node closes the connection.
        if (body instanceof Readable && !req.writableFinished) body.unpipe(req);
        resolve(res);
      });
      if (body instanceof Readable) {
        body.on('error', (err) => { bodyFailed = true; req.destroy(err); });
        body.pipe(req);
      } else {
        req.end(body);
      }
    });
  }

  /** Rebuilds a node's error answer as the error the in-process call would have thrown. */
  async function failure(device: string, res: IncomingMessage): Promise<Error> {
    let body: { code?: string; message?: string } = {};
    try {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as typeof body;
    } catch { /* no usable body */ }
    const status = res.statusCode ?? 500;
    if (status === 507) {
      byDevice.get(device)?.devices?.delete(device);
      return new StratusError(507, 'InsufficientStorage', `Device ${device} is not available.`);
    }
    if (body.code === 'CorruptReplica') return new CorruptReplica(`device ${device}`);
    if (status === 422) return etagMismatch();
    if (status === 400) return badRequest(body.message ?? 'Bad request.');
    // Anything else (a wrong secret: 401) is the cloud's fault, never the client's: a 5xx the proxy routes around.
    if (status === 401) opts.log.error({ device }, 'storage node refused our signature: object_storage_node secrets differ');
    return new StratusError(503, 'StorageNodeError', `Storage node for ${device} answered ${status}: ${body.message ?? ''}`);
  }

  async function call(device: string, method: string, path: string, json?: unknown): Promise<IncomingMessage> {
    const body = json === undefined ? undefined : JSON.stringify(json);
    return send(nodeOf(device), method, path, body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body);
  }

  async function jsonOf<T>(device: string, res: IncomingMessage): Promise<T> {
    if (res.statusCode !== 200) throw await failure(device, res);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
  }

  const drain = (res: IncomingMessage) => { res.resume(); };

  async function probe(node: NodeState): Promise<void> {
    try {
      const res = await send(node, 'GET', DEVICES_PATH, {});
      const { devices, placement } = await jsonOf<{ devices: string[]; placement: string }>('', res);
      if (placement !== placementDigest(opts.ring)) {
        // Another ring (hash suffix or partition power): objects would land where no one looks for them.
        if (node.up) opts.log.error({ node: node.key }, 'storage node has a different object ring (hash suffix or part power); not using it: copy object.ring.json');
        node.up = false;
        return;
      }
      if (!node.up) opts.log.info({ node: node.key }, 'storage node answers again');
      node.up = true;
      node.devices = new Set(devices);
    } catch { /* marked down by send, or left as it was on a bad answer */ }
  }
  const check = async () => { await Promise.all([...nodes.values()].map(probe)); };
  const timer = opts.checkIntervalMs > 0 ? setInterval(() => { void check(); }, opts.checkIntervalMs).unref() : undefined;
  if (timer) void check();

  return {
    check,
    close() { if (timer) clearInterval(timer); agent.destroy(); },
    available(device) {
      const node = byDevice.get(device);
      return !!node && node.up && (node.devices === undefined || node.devices.has(device));
    },

    async put(addr, o, data) {
      const headers: Record<string, string | number> = {
        'x-timestamp': o.timestamp, 'content-type': o.contentType, 'x-backend-meta': encodeJsonHeader(o.meta), 'transfer-encoding': 'chunked',
        ...(o.deleteAt !== undefined ? { 'x-delete-at': o.deleteAt } : {}), ...(o.expectedEtag !== undefined ? { etag: o.expectedEtag } : {}),
        ...(o.expectedSize !== undefined ? { 'x-backend-expected-size': o.expectedSize } : {}),
        ...(o.objectManifest !== undefined ? { 'x-object-manifest': encodeURIComponent(o.objectManifest) } : {}),
        ...(o.slo ? { 'x-backend-slo': encodeJsonHeader(o.slo) } : {}),
      };
      const res = await send(nodeOf(addr.device), 'PUT', objectPath(addr), headers, data);
      if (res.statusCode !== 201) throw await failure(addr.device, res);
      drain(res);
      return decodeJsonHeader<ObjectMetadata>(res.headers[METADATA_HEADER], 'metadata');
    },

    async head(addr): Promise<ObjectState | undefined> {
      const res = await send(nodeOf(addr.device), 'HEAD', objectPath(addr), {});
      if (res.statusCode !== 200 && res.statusCode !== 404) throw await failure(addr.device, res);
      drain(res);
      if (res.statusCode === 200) return { kind: 'object', metadata: decodeJsonHeader<ObjectMetadata>(res.headers[METADATA_HEADER], 'metadata') };
      const ts = res.headers['x-backend-timestamp'];
      return typeof ts === 'string' ? { kind: 'deleted', timestamp: ts } : undefined;
    },

    async get(addr, { range, verify }) {
      const headers = { ...(range ? { 'x-backend-range': `${range.start}-${range.end}` } : {}), ...(verify ? { 'x-backend-verify': '1' } : {}) };
      const res = await send(nodeOf(addr.device), 'GET', objectPath(addr), headers);
      if (res.statusCode === 404) { drain(res); return undefined; }
      if (res.statusCode !== 200 && res.statusCode !== 206) throw await failure(addr.device, res);
      return { metadata: decodeJsonHeader<ObjectMetadata>(res.headers[METADATA_HEADER], 'metadata'), data: res };
    },

    async post(addr, o) {
      const res = await call(addr.device, 'POST', objectPath(addr), o);
      if (res.statusCode !== 202 && res.statusCode !== 404) throw await failure(addr.device, res);
      drain(res);
      return res.statusCode === 202;
    },

    async delete(addr, { timestamp, ifDeleteAt }) {
      const res = await send(nodeOf(addr.device), 'DELETE', objectPath(addr), { 'x-timestamp': timestamp, ...(ifDeleteAt !== undefined ? { 'x-if-delete-at': ifDeleteAt } : {}) });
      if (res.statusCode !== 204) throw await failure(addr.device, res);
      drain(res);
    },

    async partitions(device) {
      return jsonOf<number[]>(device, await call(device, 'GET', replicationPath(device)));
    },

    async suffixHashes(device, partition, o) {
      return jsonOf<Record<string, string>>(device, await call(device, 'POST', replicationPath(device, partition, 'hashes'), { recalculate: o?.recalculate }));
    },

    async versions(device, partition, suffixes) {
      return jsonOf<ReplicaVersion[]>(device, await call(device, 'POST', replicationPath(device, partition, 'versions'), { suffixes }));
    },

    async readVersion(device, partition, v, o) {
      const res = await call(device, 'POST', replicationPath(device, partition, 'read'), { version: v, metadataOnly: o?.metadataOnly === true });
      if (res.statusCode === 404) { drain(res); return undefined; }
      if (res.statusCode !== 200) throw await failure(device, res);
      const { hasData, ...files } = decodeJsonHeader<VersionFiles & { hasData: boolean }>(res.headers[FILES_HEADER], 'files');
      if (!hasData) { drain(res); return files; }
      return { ...files, data: res } as VersionFiles;
    },

    async receive(device, partition, files) {
      const data = files.kind === 'data' ? files.data : undefined;
      try {
        const { data: _bytes, ...described } = files as VersionFiles & { data?: Readable };
        const headers = { [FILES_HEADER]: encodeJsonHeader({ ...described, hasData: data !== undefined }), ...(data ? { 'transfer-encoding': 'chunked' } : { 'content-length': 0 }) };
        const res = await send(nodeOf(device), 'PUT', replicationPath(device, partition, 'receive'), headers, data ?? '');
        return (await jsonOf<{ changed: boolean }>(device, res)).changed;
      } finally {
        data?.destroy();
      }
    },

    async drop(device, partition, v) {
      const res = await call(device, 'POST', replicationPath(device, partition, 'drop'), { version: v });
      if (res.statusCode !== 204) throw await failure(device, res);
      drain(res);
    },
  };
}
