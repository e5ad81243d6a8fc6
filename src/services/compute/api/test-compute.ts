// Test fixture: the compute API in process on 127.0.0.1:0 with a temp SQLite database, authenticating against a real
// Identity started in process, with an admin and three users in two projects to act as; optionally the whole boot flow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { callJson } from '#lib/test-http.ts';
import type { CallOptions as BaseCallOptions, Reply } from '#lib/test-http.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { startTestIdentity } from '#services/identity/test-identity-personas.ts';
import type { Persona, PersonaName } from '#services/identity/test-identity-personas.ts';
import { randomUUID } from 'node:crypto';
import { sharedMemoryBus } from '#lib/bus/index.ts';
import { createPlacementApi, placementOptions } from '#services/placement/roles.ts';
import { createImageApi, imageOptions } from '#services/image/roles.ts';
import { createNetworkApi, networkOptions } from '#services/network/roles.ts';
import { blockStorageOptions, startBlockStorage } from '#services/block-storage/roles.ts';
import { computeOptions, createComputeAgent, createComputeApi, createConductor, createFakeDriver, createScheduler } from '../roles.ts';
import type { ComputeApi, HypervisorDriver } from '../roles.ts';

export type { Reply } from '#lib/test-http.ts';

export interface CallOptions extends BaseCallOptions {
  /** The compute microversion, sent as OpenStack-API-Version. */
  version?: string;
}

export type { Persona, PersonaName };

export interface BootOptions {
  /** Compute hosts to start agents for (fake driver unless `drivers` names one). */
  hosts: string[];
  drivers?: Record<string, HypervisorDriver>;
}

export interface TestCompute {
  api: ComputeApi;
  url: string;
  as: Record<PersonaName, Persona>;
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>;
  /** With boot: an active public image of a few bytes, uploaded as the admin. */
  imageId?: string;
  /** With boot: Placement's root URL. */
  placementUrl?: string;
  /** With boot: the Image API's root URL. */
  imageUrl?: string;
  /** With boot: uploads another active public image (as the admin); its id. */
  uploadImage(): Promise<string>;
  /** With boot: the Networking API's root URL. */
  networkUrl?: string;
  /** With boot: a Networking v2.0 request (`path` after /v2.0) with this token; the status and the parsed body. */
  neutron(method: string, path: string, token: string, body?: unknown): Promise<Reply>;
  /** With boot: Block Storage's /v3 root (fake volume driver). */
  volumeUrl?: string;
  /** With boot: the fake drivers of the agents, by host. */
  drivers: Record<string, HypervisorDriver>;
  /** The compute database, Identity's v3 URL and the nova user's password: for starting more compute roles beside these. */
  databaseUrl: string;
  authUrl: string;
  novaPassword: string;
  /** The in-process bus the roles share: `sharedMemoryBus(busName)` listens to their notifications. */
  busName: string;
  /** Polls a server until `done` holds (or its status is ERROR when not expected); returns its last view. */
  waitForServer(id: string, token: string, done: (server: Reply['body']) => boolean, timeoutMs?: number): Promise<Reply['body']>;
  /** With boot: boots a server as alice (m1.tiny, no networks; `server` adds fields) and waits for ACTIVE; its id. */
  bootActive(name: string, opts?: { token?: string; version?: string; server?: Record<string, unknown> }): Promise<string>;
  /** The server's host as an admin sees it. */
  hostOf(id: string): Promise<string>;
  /** With boot: the node (resource provider) uuid of a host. */
  nodeUuidOf(host: string): Promise<string>;
  /** With boot: a Placement consumer's allocations, by resource provider. */
  allocationsOf(consumer: string): Promise<Record<string, { resources: Record<string, number> }>>;
  close(): Promise<void>;
}

/**
 * Starts compute-api; with `boot`, also Placement, Image, the conductor, the scheduler and one agent per host, all
 * on one in-process bus and with Placement and Image in Identity's catalog — the whole boot flow in one process.
 */
export async function startCompute(options: Record<string, unknown> = {}, boot?: BootOptions): Promise<TestCompute> {
  const dir = mkdtempSync(join(tmpdir(), 'compute-api-'));
  const log = silentLogger();
  const identity = await startTestIdentity(dir, ['nova', 'placement', 'glance', 'neutron', 'cinder']);
  const { authUrl, servicePasswords, as } = identity;
  const busName = `compute-test-${randomUUID()}`;
  const stops: (() => Promise<unknown>)[] = [];
  const computeOpts = resolveOptions('compute', computeOptions, { report_interval: 1, ...options }, {});
  const roleDeps = () => ({ options: computeOpts, authUrl, servicePassword: servicePasswords.nova, bus: sharedMemoryBus(busName), log });
  const databaseUrl = `sqlite://${dir}/compute.sqlite`;
  const drivers: Record<string, HypervisorDriver> = {};
  let imageId: string | undefined;
  let imageUrl: string | undefined;
  let placementUrl: string | undefined;
  let networkUrl: string | undefined;
  let volumeUrl: string | undefined;
  if (boot) {
    const placement = await createPlacementApi({
      options: resolveOptions('placement', placementOptions, {}, {}), databaseUrl: `sqlite://${dir}/placement.sqlite`, authUrl,
      servicePassword: servicePasswords.placement, log,
    });
    stops.push(() => placement.close());
    placementUrl = await placement.listen('127.0.0.1', 0);
    await identity.registerEndpoint('placement', 'placement', placementUrl);
    const image = await createImageApi({
      options: resolveOptions('image', imageOptions, {}, {}), databaseUrl: `sqlite://${dir}/image.sqlite`, dataDir: dir, authUrl,
      servicePassword: servicePasswords.glance, log,
    });
    stops.push(() => image.close());
    imageUrl = await image.listen('127.0.0.1', 0);
    await identity.registerEndpoint('image', 'glance', imageUrl);
    imageId = await uploadTestImage(imageUrl, as.admin.token);
    const network = await createNetworkApi({
      options: resolveOptions('network', networkOptions, {}, {}), databaseUrl: `sqlite://${dir}/network.sqlite`, authUrl,
      servicePassword: servicePasswords.neutron, bus: sharedMemoryBus(busName), log,
    });
    stops.push(() => network.close());
    networkUrl = await network.listen('127.0.0.1', 0);
    await identity.registerEndpoint('network', 'neutron', networkUrl);
    const volumes = await startBlockStorage({
      options: resolveOptions('block_storage', blockStorageOptions, { volume_driver: 'fake', bus_url: `memory://${busName}` }, {}),
      databaseUrl: `sqlite://${dir}/block_storage.sqlite`, dataDir: dir, authUrl, servicePassword: servicePasswords.cinder, log,
    });
    stops.push(() => volumes.close());
    volumeUrl = `${await volumes.api.listen('127.0.0.1', 0)}/v3`;
    await identity.registerEndpoint('volumev3', 'cinderv3', `${volumeUrl}/%(project_id)s`);
  }
  const api = await createComputeApi({ ...roleDeps(), databaseUrl });
  const url = await api.listen('127.0.0.1', 0);
  // Block Storage's conductor finds Compute here for volume-extended events.
  if (boot) await identity.registerEndpoint('compute', 'nova', `${url}/v2.1`);
  if (boot) {
    const conductor = await createConductor({ ...roleDeps(), databaseUrl, serverName: 'conductor' });
    stops.unshift(() => conductor.close());
    const scheduler = await createScheduler({ ...roleDeps(), databaseUrl, serverName: 'scheduler' });
    stops.unshift(() => scheduler.close());
    for (const host of boot.hosts) {
      drivers[host] = boot.drivers?.[host] ?? createFakeDriver({ nodeName: host, vcpus: 8, memoryMb: 16384, localGb: 100 });
      const agent = await createComputeAgent({ ...roleDeps(), host, driver: drivers[host] });
      stops.unshift(() => agent.close());
    }
  }

  const call = (method: string, path: string, opts: CallOptions = {}): Promise<Reply> =>
    callJson(url, method, path, { ...opts, headers: { ...(opts.version ? { 'openstack-api-version': `compute ${opts.version}` } : {}), ...opts.headers } });

  async function waitForServer(id: string, token: string, done: (server: Reply['body']) => boolean, timeoutMs = 15_000): Promise<Reply['body']> {
    const deadline = Date.now() + timeoutMs;
    let last: Reply | undefined;
    while (Date.now() < deadline) {
      last = await call('GET', `/v2.1/servers/${id}`, { token, version: '2.60' });
      if (done(last.status === 404 ? undefined : last.body?.server)) return last.body?.server;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`server ${id} did not reach the expected state: ${JSON.stringify(last?.body)}`);
  }

  async function bootActive(name: string, opts: { token?: string; version?: string; server?: Record<string, unknown> } = {}): Promise<string> {
    const token = opts.token ?? as.alice.token;
    const res = await call('POST', '/v2.1/servers', {
      token, version: opts.version ?? '2.60', body: { server: { name, imageRef: imageId, flavorRef: '1', networks: 'none', ...opts.server } },
    });
    if (res.status !== 202) throw new Error(`boot of ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
    await waitForServer(res.body.server.id, token, (s) => s?.status === 'ACTIVE');
    return res.body.server.id;
  }

  const hostOf = async (id: string): Promise<string> =>
    (await call('GET', `/v2.1/servers/${id}`, { token: as.admin.token, version: '2.60' })).body.server['OS-EXT-SRV-ATTR:host'];

  async function nodeUuidOf(host: string): Promise<string> {
    const hv = await call('GET', '/v2.1/os-hypervisors', { token: as.admin.token, version: '2.53' });
    return hv.body.hypervisors.find((h: { hypervisor_hostname: string }) => h.hypervisor_hostname === host).id;
  }

  function neutron(method: string, path: string, token: string, body?: unknown): Promise<Reply> {
    if (!networkUrl) throw new Error('neutron needs the boot flow');
    return callJson(`${networkUrl.replace(/\/$/, '')}/v2.0`, method, path, { token, body });
  }

  async function allocationsOf(consumer: string): Promise<Record<string, { resources: Record<string, number> }>> {
    const res = await fetch(`${placementUrl}/allocations/${consumer}`, { headers: { 'x-auth-token': as.admin.token, 'openstack-api-version': 'placement 1.28' } });
    return ((await res.json()) as { allocations: Record<string, { resources: Record<string, number> }> }).allocations;
  }

  return {
    api, url, as, call, imageId, busName, databaseUrl, authUrl, novaPassword: servicePasswords.nova, imageUrl, networkUrl, volumeUrl, drivers, waitForServer, placementUrl,
    bootActive, hostOf, nodeUuidOf, allocationsOf, neutron,
    async uploadImage() {
      if (!imageUrl) throw new Error('uploadImage needs the boot flow');
      return uploadTestImage(imageUrl, as.admin.token);
    },
    async close() {
      for (const stop of stops) await stop();
      await api.close();
      await identity.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a public raw image and uploads a few bytes, so it is active. */
async function uploadTestImage(imageUrl: string, token: string): Promise<string> {
  const created = await fetch(`${imageUrl}/v2/images`, {
    method: 'POST', headers: { 'x-auth-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cirros', disk_format: 'raw', container_format: 'bare', visibility: 'public' }),
  });
  const { id } = (await created.json()) as { id: string };
  const put = await fetch(`${imageUrl}/v2/images/${id}/file`, {
    method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096, 7),
  });
  if (put.status !== 204) throw new Error(`image upload answered ${put.status}`);
  return id;
}
