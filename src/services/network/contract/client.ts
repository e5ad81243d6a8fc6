// The typed REST client of Networking: what Compute uses to create, bind and delete the ports of its servers and
// to read networks and subnets. Each call carries a token (the user's, or the calling service's own) and, when
// configured, the service's token as X-Service-Token, as nova does with neutron.
import { RemoteError, ServiceUnavailable } from '#lib/errors.ts';
import type { CreatePortInput, FloatingIp, ListFilters, Network, Port, SecurityGroup, Subnet, UpdatePortInput } from './api-types.ts';

export type * from './api-types.ts';

export interface NetworkClientOptions {
  /** Networking's root URL from the catalog, e.g. http://127.0.0.1:9696/. */
  endpoint: string;
  /** The token used when a call names none (typically the calling service's own). */
  token: () => Promise<string>;
  /** The calling service's token, sent as X-Service-Token with every call. */
  serviceToken?: () => Promise<string>;
  timeoutMs?: number;
}

export interface CallContext {
  /** Act with this token (the user's) instead of the client's default. */
  token?: string;
  /** The user action's request id, so logs of both services join up. */
  globalRequestId?: string;
  /** `If-Match: revision_number=N` for updates and deletes. */
  revisionNumber?: number;
}

/** A Networking error: `code` is Neutron's exception type (PortNotFound, IpAddressGenerationFailure…). */
export class NetworkRequestError extends RemoteError {}

export function isNetworkNotFound(err: unknown): boolean {
  return err instanceof NetworkRequestError && err.status === 404;
}

export interface NetworkClient {
  createPort(port: CreatePortInput, ctx?: CallContext): Promise<Port>;
  /** The port, or undefined when it does not exist (or the caller may not see it). */
  getPort(id: string, ctx?: CallContext): Promise<Port | undefined>;
  /** Updates a port: binding (binding:host_id, profile, vnic type), device id/owner, security groups… */
  updatePort(id: string, changes: UpdatePortInput, ctx?: CallContext): Promise<Port>;
  /** Deletes a port; false when it was already gone. Idempotent. */
  deletePort(id: string, ctx?: CallContext): Promise<boolean>;
  listPorts(filters?: ListFilters, ctx?: CallContext): Promise<Port[]>;
  getNetwork(id: string, ctx?: CallContext): Promise<Network | undefined>;
  listNetworks(filters?: ListFilters, ctx?: CallContext): Promise<Network[]>;
  getSubnet(id: string, ctx?: CallContext): Promise<Subnet | undefined>;
  /** Floating IPs, e.g. those of some ports (`port_id`). */
  listFloatingIps(filters?: ListFilters, ctx?: CallContext): Promise<FloatingIp[]>;
  /** Security groups, e.g. by `name` or `id` within a `project_id` (Compute's addSecurityGroup). */
  listSecurityGroups(filters?: ListFilters, ctx?: CallContext): Promise<SecurityGroup[]>;
}

function query(filters: ListFilters = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  const text = q.toString();
  return text ? `?${text}` : '';
}

export function createNetworkClient(opts: NetworkClientOptions): NetworkClient {
  const base = `${opts.endpoint.replace(/\/+$/, '')}/v2.0`;

  /** The parsed answer; `missing` when a 404 was acceptable (okMissing). */
  async function send<T>(method: string, path: string, body: unknown, ctx: CallContext = {}, okMissing = false): Promise<{ missing: boolean; body?: T }> {
    const headers: Record<string, string> = { accept: 'application/json', 'x-auth-token': ctx.token ?? await opts.token() };
    if (opts.serviceToken) headers['x-service-token'] = await opts.serviceToken();
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ctx.globalRequestId) headers['x-openstack-request-id'] = ctx.globalRequestId;
    if (ctx.revisionNumber !== undefined) headers['if-match'] = `revision_number=${ctx.revisionNumber}`;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ServiceUnavailable(`Networking at ${base} is unreachable: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (res.status === 404 && okMissing) return { missing: true };
    if (!res.ok) {
      let error: { type?: string; message?: string } | undefined;
      try { error = (JSON.parse(text) as { NeutronError?: { type?: string; message?: string } }).NeutronError; } catch { /* not Neutron's body */ }
      throw new NetworkRequestError(res.status, error?.type ?? 'NeutronError', error?.message ?? `Networking answered ${res.status} to ${method} ${path}`);
    }
    return { missing: false, body: (text ? JSON.parse(text) : undefined) as T };
  }
  const request = async <T>(method: string, path: string, body: unknown, ctx?: CallContext, okMissing = false): Promise<T | undefined> =>
    (await send<T>(method, path, body, ctx, okMissing)).body;

  const id = (value: string) => encodeURIComponent(value);
  return {
    async createPort(port, ctx) {
      return (await request<{ port: Port }>('POST', '/ports', { port }, ctx))!.port;
    },
    async getPort(portId, ctx) {
      return (await request<{ port: Port }>('GET', `/ports/${id(portId)}`, undefined, ctx, true))?.port;
    },
    async updatePort(portId, changes, ctx) {
      return (await request<{ port: Port }>('PUT', `/ports/${id(portId)}`, { port: changes }, ctx))!.port;
    },
    async deletePort(portId, ctx) {
      return !(await send('DELETE', `/ports/${id(portId)}`, undefined, ctx, true)).missing;
    },
    async listPorts(filters, ctx) {
      return (await request<{ ports: Port[] }>('GET', `/ports${query(filters)}`, undefined, ctx))!.ports;
    },
    async getNetwork(networkId, ctx) {
      return (await request<{ network: Network }>('GET', `/networks/${id(networkId)}`, undefined, ctx, true))?.network;
    },
    async listNetworks(filters, ctx) {
      return (await request<{ networks: Network[] }>('GET', `/networks${query(filters)}`, undefined, ctx))!.networks;
    },
    async getSubnet(subnetId, ctx) {
      return (await request<{ subnet: Subnet }>('GET', `/subnets/${id(subnetId)}`, undefined, ctx, true))?.subnet;
    },
    async listFloatingIps(filters, ctx) {
      return (await request<{ floatingips: FloatingIp[] }>('GET', `/floatingips${query(filters)}`, undefined, ctx))!.floatingips;
    },
    async listSecurityGroups(filters, ctx) {
      return (await request<{ security_groups: SecurityGroup[] }>('GET', `/security-groups${query(filters)}`, undefined, ctx))!.security_groups;
    },
  };
}
