// `npm run bench -- boot`: real VMs through `stratus up` with the qemu driver and the linuxbridge data plane (root):
// time from POST /servers to the guest's boot marker on its serial console for the cirros-like image — p50 over
// BENCH_BOOTS (5) sequential boots, then BENCH_CONCURRENT (10) boots at once — and the RSS of each VM and of Stratus.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { issueToken, startStratus } from './stratus-process.ts';

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

export async function main(args: string[]): Promise<void> {
  if (args.length) throw new Error(`bench boot takes no options (got ${args.join(' ')}); use BENCH_BOOTS, BENCH_CONCURRENT`);
  if (process.getuid?.() !== 0) throw new Error('bench boot needs root: real VMs plug into taps and bridges');
  const sequential = env('BENCH_BOOTS', 5);
  const concurrent = env('BENCH_CONCURRENT', 10);
  const stratus = await startStratus({ env: {
    STRATUS_COMPUTE_DRIVER: 'qemu', STRATUS_NETWORK_DATA_PLANE_DRIVER: 'linuxbridge', STRATUS_GUEST_IMAGE: 'true',
    // The default 4 vCPUs per core gives a 2-core machine room for 8 one-vCPU guests, fewer than the concurrent round.
    STRATUS_COMPUTE_CPU_ALLOCATION_RATIO: String(Math.max(4, Math.ceil(concurrent / availableParallelism()))),
  } });
  try {
    const token = await issueToken(stratus.url, stratus.admin);
    const doc = await (await fetch(`${stratus.url}/v3/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } })).json() as {
      token: { project: { id: string }; catalog: { type: string; endpoints: { interface: string; url: string }[] }[] };
    };
    const url = (type: string) => doc.token.catalog.find((s) => s.type === type)!.endpoints.find((e) => e.interface === 'public')!.url.replace(/\/+$/, '');
    const call = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method, headers: { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.60' }, body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
      return text ? JSON.parse(text) : undefined;
    };
    // The catalog's compute URL carries /v2.1 (and maybe the project); the calls below name the version themselves.
    const nova = url('compute').replace(/\/v2(\.1)?(\/.*)?$/, '');
    const neutron = url('network');
    const glance = url('image');
    let image: string | undefined;
    for (const deadline = Date.now() + 600_000; !image; await new Promise((r) => setTimeout(r, 1000))) {
      if (Date.now() > deadline) throw new Error('the cirros-like image was not registered within 10 minutes');
      image = ((await call(glance, 'GET', '/v2/images?name=cirros-like&status=active')) as { images: { id: string }[] }).images[0]?.id;
    }
    await call(nova, 'PUT', `/v2.1/os-quota-sets/${doc.token.project.id}`, { quota_set: { instances: -1, cores: -1, ram: -1 } });
    const net = (await call(neutron, 'POST', '/v2.0/networks', { network: { name: 'bench' } })).network.id as string;
    await call(neutron, 'POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.99.0.0/24' } });

    const boot = async (name: string): Promise<{ id: string; ms: number }> => {
      const t0 = performance.now();
      const id = (await call(nova, 'POST', '/v2.1/servers', { server: { name, imageRef: image, flavorRef: '1', networks: [{ uuid: net }] } })).server.id as string;
      for (const deadline = Date.now() + 300_000; ; await new Promise((r) => setTimeout(r, 200))) {
        if (Date.now() > deadline) throw new Error(`${name} printed no boot marker within 5 minutes`);
        const server = (await call(nova, 'GET', `/v2.1/servers/${id}`)).server as { status: string; fault?: { message: string } };
        if (server.status === 'ERROR') throw new Error(`${name} went to ERROR: ${server.fault?.message ?? 'no fault recorded'}`);
        if (server.status !== 'ACTIVE') continue;
        const out = (await call(nova, 'POST', `/v2.1/servers/${id}/action`, { 'os-getConsoleOutput': { length: 50 } })).output as string;
        if (out.includes('STRATUS-GUEST-READY')) return { id, ms: performance.now() - t0 };
      }
    };
    const remove = async (ids: string[]) => {
      for (const id of ids) await call(nova, 'DELETE', `/v2.1/servers/${id}`);
      for (const id of ids) {
        while ((await fetch(`${nova}/v2.1/servers/${id}`, { headers: { 'x-auth-token': token } })).status !== 404) await new Promise((r) => setTimeout(r, 200));
      }
    };

    const seq: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const { id, ms } = await boot(`seq-${i}`);
      seq.push(ms);
      await remove([id]);
    }
    const c0 = performance.now();
    const many = await Promise.all(Array.from({ length: concurrent }, (_, i) => boot(`par-${i}`)));
    const allMs = performance.now() - c0;
    const qemuPids = execFileSync('pgrep', ['-f', 'qemu-system-x86_64'], { encoding: 'utf8' }).trim().split('\n').map(Number).filter(Boolean);
    const vmRss = qemuPids.map(rssMb).sort((a, b) => a - b);
    const stratusRss = rssMb(stratus.pid);
    await remove(many.map((m) => m.id));
    // The network goes too, and with it what the agent wired (bridge, DHCP namespace, dnsmasq, metadata proxy).
    await call(neutron, 'DELETE', `/v2.0/networks/${net}`);
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      if (!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`qdhcp-${net}`)) break;
    }

    seq.sort((a, b) => a - b);
    const par = many.map((m) => m.ms).sort((a, b) => a - b);
    const lines = [
      `boot to marker, ${sequential} sequential: p50 ${(pct(seq, 50) / 1000).toFixed(1)} s (min ${(seq[0] / 1000).toFixed(1)} s, max ${(seq.at(-1)! / 1000).toFixed(1)} s)`,
      `boot to marker, ${concurrent} at once: p50 ${(pct(par, 50) / 1000).toFixed(1)} s, all in ${(allMs / 1000).toFixed(1)} s`,
      `RSS per VM (${vmRss.length} qemu): median ${pct(vmRss, 50).toFixed(0)} MiB; Stratus process: ${stratusRss.toFixed(0)} MiB`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await stratus.stop();
  }
}
