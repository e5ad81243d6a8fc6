// The metadata agent (Neutron's neutron-metadata-agent), in the network agent's process: the namespaces' metadata
// proxies forward guests' requests to its unix socket with the router's (or network's) id and the guest's address;
// it asks the server which port that is and forwards to Compute's metadata API with the instance's identity, signed
// with the secret the two services share, streaming the answer back. A guest it cannot place gets a 404.
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Bus, BusContext } from '#lib/bus/index.ts';
import { newRequestId } from '#lib/context.ts';
import type { Logger } from '#lib/log.ts';
import { signInstanceId } from '#services/compute/contract/metadata-signature.ts';
import { networkServerRpc } from '../rpc/agent-rpc.ts';
import type { MetadataPort, MetadataPortQuery } from '../rpc/agent-rpc.ts';

export interface MetadataAgentDeps {
  bus: Bus;
  host: string;
  /** The unix socket the proxies forward to (made anew: a stale one from a previous run is removed). */
  socketPath: string;
  /** Compute's metadata API (Nova's nova_metadata_url). */
  novaMetadataUrl: string;
  /** The secret shared with Compute's metadata API (`metadata_proxy`). */
  sharedSecret: string;
  log: Logger;
  /** How long a guest's port is remembered (cloud-init asks dozens of paths in a row); default 5 s. */
  cacheMs?: number;
}

export interface MetadataAgent { close(): Promise<void> }


// Headers that concern one connection only, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.at(-1) : v)?.trim() || undefined;

export async function startMetadataAgent(deps: MetadataAgentDeps): Promise<MetadataAgent> {
  const server = networkServerRpc.client(deps.bus);
  const base = new URL(deps.novaMetadataUrl);
  const cache = new Map<string, { port: MetadataPort; until: number }>();

  const findPort = async (query: MetadataPortQuery, ctx: BusContext): Promise<MetadataPort | null> => {
    const key = `${query.routerId ?? ''}/${query.networkId ?? ''}/${query.ipAddress}`;
    const hit = cache.get(key);
    if (hit && hit.until > Date.now()) return hit.port;
    const port = await server.call('get_metadata_port', { query, host: deps.host }, ctx);
    if (port) cache.set(key, { port, until: Date.now() + (deps.cacheMs ?? 5_000) });
    else cache.delete(key);
    return port;
  };

  const answer = (res: ServerResponse, status: number, text: string) => {
    if (res.headersSent) { res.destroy(); return; }
    res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8' }).end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const ctx: BusContext = { requestId, globalRequestId: requestId };
    // The proxy sets exactly one of these and the guest's source address; the guest could not have chosen them.
    const guest = single(req.headers['x-forwarded-for'])?.split(',').at(-1)?.trim();
    const routerId = single(req.headers['x-neutron-router-id']);
    const networkId = single(req.headers['x-neutron-network-id']);
    if (!guest || (!routerId && !networkId)) return answer(res, 400, 'Bad request: not from a metadata proxy.\n');
    const port = await findPort({ routerId, networkId, ipAddress: guest }, ctx);
    if (!port) {
      deps.log.info({ guest, routerId, networkId, requestId }, 'metadata request from an address no instance port holds');
      return answer(res, 404, 'Not found: no instance has this address here.\n');
    }
    // Two leading slashes would make the path a host name: the path stays a path on Compute's metadata API.
    const path = `/${(req.url ?? '/').replace(/^\/+/, '')}`;
    const target = new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base);
    const headers: OutgoingHttpHeaders = {
      'x-forwarded-for': guest, 'x-instance-id': port.deviceId, 'x-tenant-id': port.projectId,
      'x-instance-id-signature': signInstanceId(port.deviceId, deps.sharedSecret), 'x-openstack-request-id': requestId,
    };
    for (const name of ['content-type', 'content-length', 'accept']) if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    deps.log.debug({ guest, instanceId: port.deviceId, path: target.pathname, requestId }, 'forwarding a metadata request');
    await new Promise<void>((resolve) => {
      const upstream = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: req.method, headers }, (up) => {
        const back: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(up.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) back[name] = value;
        res.writeHead(up.statusCode ?? 502, back);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', () => { res.destroy(); resolve(); });
      });
      upstream.on('error', (err) => {
        deps.log.warn({ err: err.message, url: target.origin, requestId }, 'Compute\'s metadata API did not answer');
        answer(res, 502, 'The metadata service is unreachable.\n');
        resolve();
      });
      req.pipe(upstream);
    });
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      deps.log.warn({ err: (err as Error).message }, 'metadata request failed');
      answer(res, 500, 'An unknown error has occurred.\n');
    });
  });
  mkdirSync(dirname(deps.socketPath), { recursive: true });
  rmSync(deps.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(deps.socketPath, () => { http.off('error', reject); resolve(); });
  });
  deps.log.info({ socket: deps.socketPath, nova: base.origin }, 'metadata agent listening');
  return {
    async close() {
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      rmSync(deps.socketPath, { force: true });
    },
  };
}
