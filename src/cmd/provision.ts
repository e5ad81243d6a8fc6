// What a first `stratus up` sets up beyond Identity's bootstrap, as devstack does: the `public` external network on
// the host's leg (when the linuxbridge data plane gives the host one) and the `cirros-like` guest image, public. Each
// item is done once per data directory (recorded in provisioned.json), so what an admin deletes later stays deleted.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'yaml';
import type { Logger } from '#lib/log.ts';
import type { DataDir } from './data-dir.ts';
import { writePrivateFile } from './data-dir.ts';
import { defaultCacheDir, ensureGuestImage, IMAGE_NAME } from '../guest-image/build.ts';

export interface ProvisionOptions {
  data: DataDir;
  authUrl: string;
  log: Logger;
  /** The external network to create: its physical network and the host's address on it (host_external_cidr). */
  externalNetwork?: { physicalNetwork: string; hostCidr: string };
  /** Whether to build and register the guest image. */
  guestImage: boolean;
}

interface Session {
  token: string;
  endpoint(type: string): string | undefined;
}

async function adminSession(data: DataDir, authUrl: string): Promise<Session> {
  const clouds = parse(readFileSync(join(data.root, 'clouds.yaml'), 'utf8')) as { clouds: { stratus: { auth: { password: string } } } };
  const res = await fetch(`${authUrl.replace(/\/+$/, '')}/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: {
      identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: clouds.clouds.stratus.auth.password } } },
      scope: { project: { name: 'admin', domain: { name: 'Default' } } },
    } }),
  });
  if (res.status !== 201) throw new Error(`admin authentication answered ${res.status}`);
  const body = await res.json() as { token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] } };
  return {
    token: res.headers.get('x-subject-token')!,
    endpoint: (type) => body.token.catalog.find((s) => s.type === type)?.endpoints.find((e) => e.interface === 'public')?.url.replace(/\/+$/, ''),
  };
}

async function api(s: Session, url: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method, headers: { 'x-auth-token': s.token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res.status === 204 ? {} : await res.json() as Record<string, unknown>;
}

/** The network a CIDR like 172.24.4.1/24 lies in, and the host's address in it. */
function splitCidr(cidr: string): { network: string; host: string } {
  const [host, bits] = cidr.split('/');
  const n = host.split('.').reduce((a, o) => (a << 8n) + BigInt(o), 0n);
  const mask = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - Number(bits))) - 1n);
  const net = n & mask;
  return { network: `${[24n, 16n, 8n, 0n].map((sh) => (net >> sh) & 255n).join('.')}/${bits}`, host };
}

async function provisionExternalNetwork(s: Session, ext: NonNullable<ProvisionOptions['externalNetwork']>, log: Logger): Promise<void> {
  const neutron = s.endpoint('network');
  if (!neutron) return;
  const { network, host } = splitCidr(ext.hostCidr);
  // A start cut short after the network but before its subnet finishes the job instead of making a second one.
  const existing = (await api(s, `${neutron}/v2.0/networks?name=public&router:external=true`, 'GET') as { networks: { id: string; subnets: string[] }[] }).networks[0];
  const id = existing?.id ?? (await api(s, `${neutron}/v2.0/networks`, 'POST', { network: {
    name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': ext.physicalNetwork,
  } }) as { network: { id: string } }).network.id;
  // The host is the external subnet's gateway: routers send what leaves the cloud to it.
  if (!existing?.subnets.length) {
    await api(s, `${neutron}/v2.0/subnets`, 'POST', { subnet: {
      name: 'public-subnet', network_id: id, ip_version: 4, cidr: network, gateway_ip: host, enable_dhcp: false,
    } });
  }
  log.info({ cidr: network, gateway: host }, 'provisioned the public external network');
}

async function provisionGuestImage(s: Session, log: Logger): Promise<void> {
  const glance = s.endpoint('image');
  if (!glance) return;
  const image = await ensureGuestImage({ cacheDir: defaultCacheDir(), log });
  const created = await api(s, `${glance}/v2/images`, 'POST', {
    name: IMAGE_NAME, visibility: 'public', disk_format: image.diskFormat, container_format: image.containerFormat, ...image.properties,
  }) as { id: string };
  const res = await fetch(`${glance}/v2/images/${created.id}/file`, {
    method: 'PUT', headers: { 'x-auth-token': s.token, 'content-type': 'application/octet-stream', 'content-length': String(statSync(image.path).size) },
    body: Readable.toWeb(createReadStream(image.path)) as unknown as RequestInit['body'], duplex: 'half',
  } as RequestInit);
  if (res.status !== 204) throw new Error(`uploading ${IMAGE_NAME} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  log.info({ id: created.id, size: image.size }, `provisioned the ${IMAGE_NAME} image`);
}

/** Runs what this data directory has not had yet; failures are logged (the cloud runs without them) and retried next start. */
export async function provisionDefaults(opts: ProvisionOptions): Promise<void> {
  const file = join(opts.data.root, 'provisioned.json');
  const done = new Set<string>(existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as string[] : []);
  const steps: [string, boolean, (s: Session) => Promise<void>][] = [
    ['public-network', Boolean(opts.externalNetwork), (s) => provisionExternalNetwork(s, opts.externalNetwork!, opts.log)],
    ['guest-image', opts.guestImage, (s) => provisionGuestImage(s, opts.log)],
  ];
  const todo = steps.filter(([name, wanted]) => wanted && !done.has(name));
  if (!todo.length) return;
  let session: Session;
  try {
    session = await adminSession(opts.data, opts.authUrl);
  } catch (err) {
    opts.log.warn({ err: (err as Error).message }, 'cannot provision the defaults (no admin session)');
    return;
  }
  for (const [name, , step] of todo) {
    try {
      await step(session);
      done.add(name);
      writePrivateFile(file, JSON.stringify([...done]));
    } catch (err) {
      opts.log.warn({ step: name, err: (err as Error).message }, 'provisioning step failed; it is retried at the next start');
    }
  }
}
