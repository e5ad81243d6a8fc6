// `npm run bench -- compute`: boots BENCH_SERVERS (default 1000) servers at concurrency BENCH_CONCURRENCY (default 20)
// through `stratus up --fake-hosts BENCH_HOSTS` (default 100) with the fake driver, then deletes them all. Reports
// boots/s, POST→ACTIVE p50/p99 as the client sees it (polling every BENCH_POLL_MS, default 25 ms) and as the server recorded it (the create
// action's start to its build event's finish), the process's peak RSS, the cloud process's CPU time per boot (client
// polling included), and checks every allocation was released.
// BENCH_PROFILE=1 also CPU-profiles the boot phase and prints where the time went.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProfileSummary, summariseProfile } from './cpu-profile.ts';
import { issueToken, startStratus } from './stratus-process.ts';

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};

/** STRATUS_* options given to the bench (e.g. STRATUS_COMPUTE_MAX_PLACEMENT_RESULTS) pass through to the cloud. */
function extraEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('STRATUS_') && e[1] !== undefined));
}

/** CPU time (user + system) the process has used, in ms: per boot, it is the cost figure a busy shared machine moves least. */
function cpuMs(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name), in clock ticks of 10 ms.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** How often each client worker polls its server's status (BENCH_POLL_MS): the polling itself loads the cloud. */
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 25);

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function json(url: string, token: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { 'x-auth-token': token, 'openstack-api-version': 'compute 2.60', ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function main(args: string[]): Promise<void> {
  if (args.length) throw new Error(`bench compute takes no options (got ${args.join(' ')}); use BENCH_SERVERS, BENCH_HOSTS, BENCH_CONCURRENCY`);
  const servers = env('BENCH_SERVERS', 1000);
  const hosts = env('BENCH_HOSTS', 100);
  const concurrency = env('BENCH_CONCURRENCY', 20);
  const profile = process.env.BENCH_PROFILE === '1';
  const profDir = profile ? mkdtempSync(join(tmpdir(), 'stratus-bench-prof-')) : '';
  const stratus = await startStratus({ env: { STRATUS_COMPUTE_FAKE_HOSTS: String(hosts), ...extraEnv() }, nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [] });
  let window: { fromUs: number; toUs: number } | undefined;
  let peakRss = 0;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, rssMiB(stratus.pid)); }, 100);
  try {
    const token = await issueToken(stratus.url, stratus.admin);
    const catalog = await (await fetch(`${stratus.url}/v3/auth/catalog`, { headers: { 'x-auth-token': token } })).json() as { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] };
    const endpoint = (type: string) => catalog.catalog.find((s) => s.type === type)!.endpoints.find((e) => e.interface === 'public')!.url;
    const nova = endpoint('compute');
    const glance = endpoint('image');
    const placement = endpoint('placement');
    // Quotas out of the way: the bench measures the boot flow, not the quota check's refusals.
    const projectId = (await (await fetch(`${stratus.url}/v3/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } })).json() as { token: { project: { id: string } } }).token.project.id;
    await json(`${nova}/os-quota-sets/${projectId}`, token, { method: 'PUT', body: { quota_set: { instances: -1, cores: -1, ram: -1 } } });
    const image = await json(`${glance}/v2/images`, token, { method: 'POST', body: { name: 'bench', disk_format: 'raw', container_format: 'bare' } });
    await fetch(`${glance}/v2/images/${image.body.id}/file`, { method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024) });
    // Wait until every fake host has reported to Placement.
    for (let i = 0; i < 600; i++) {
      const rps = await json(`${placement}/resource_providers`, token);
      if ((rps.body?.resource_providers?.length ?? 0) >= hosts) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const clientMs: number[] = [];
    const ids: string[] = [];
    let errors = 0;
    let next = 0;
    const started = performance.now();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const rssBefore = rssMiB(stratus.pid);
    const cpuBefore = cpuMs(stratus.pid);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < servers) {
        const n = next++;
        const t0 = performance.now();
        const res = await json(`${nova}/servers`, token, { method: 'POST', body: { server: { name: `bench-${n}`, imageRef: image.body.id, flavorRef: '1', networks: 'none' } } });
        if (res.status !== 202) { errors += 1; continue; }
        const id = res.body.server.id as string;
        ids.push(id);
        for (;;) {
          const s = await json(`${nova}/servers/${id}`, token);
          const status = s.body?.server?.status;
          if (status === 'ACTIVE') { clientMs.push(performance.now() - t0); break; }
          if (status === 'ERROR') { errors += 1; break; }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const bootCpuMs = cpuMs(stratus.pid) - cpuBefore;
    window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };

    // Server-side: the create action's start to its build event's finish.
    const serverMs: number[] = [];
    for (const id of ids.slice(0, 200)) {
      const actions = await json(`${nova}/servers/${id}/os-instance-actions`, token);
      const create = actions.body.instanceActions.find((a: { action: string }) => a.action === 'create');
      const shown = await json(`${nova}/servers/${id}/os-instance-actions/${create.request_id}`, token);
      const build = shown.body.instanceAction.events.find((e: { event: string; result: string }) => e.event === 'compute_build_and_run_instance' && e.result === 'Success');
      if (build) serverMs.push(Date.parse(`${build.finish_time}Z`) - Date.parse(`${create.start_time}Z`));
    }

    const delStart = performance.now();
    let next2 = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next2 < ids.length) await json(`${nova}/servers/${ids[next2++]}`, token, { method: 'DELETE' });
    }));
    for (let i = 0; i < 1200; i++) {
      const left = await json(`${nova}/servers?limit=1`, token);
      if (left.body.servers.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const deleteSeconds = (performance.now() - delStart) / 1000;
    const usages = await (await fetch(`${placement}/usages?project_id=${projectId}`, { headers: { 'x-auth-token': token, 'openstack-api-version': 'placement 1.9' } })).json() as { usages: Record<string, number> };
    const leftover = Object.values(usages.usages).reduce((a, b) => a + b, 0);

    clientMs.sort((a, b) => a - b);
    serverMs.sort((a, b) => a - b);
    const report = {
      servers, hosts, concurrency, active: clientMs.length, errors, seconds: Number(seconds.toFixed(1)),
      bootsPerSecond: Number((clientMs.length / seconds).toFixed(1)),
      clientP50Ms: Math.round(pct(clientMs, 50)), clientP99Ms: Math.round(pct(clientMs, 99)),
      serverP50Ms: Math.round(pct(serverMs, 50)), serverP99Ms: Math.round(pct(serverMs, 99)),
      cloudCpuMsPerBoot: Number((bootCpuMs / Math.max(1, clientMs.length)).toFixed(2)),
      deleteSeconds: Number(deleteSeconds.toFixed(1)), allocationsLeft: leftover,
      rssBeforeMiB: Math.round(rssBefore), peakRssMiB: Math.round(peakRss), cpus: cpus().length, load: loadavg().map((l) => l.toFixed(2)).join(' '),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`targets: >= 100 boots/s (${report.bootsPerSecond >= 100 ? 'met' : 'not met'}), p50 POST→ACTIVE < 100 ms (${report.clientP50Ms < 100 ? 'met' : 'not met'}), `
      + `every server ACTIVE (${report.active === servers ? 'met' : 'not met'}), allocations released (${leftover === 0 ? 'met' : 'not met'})\n`);
  } finally {
    clearInterval(sampler);
    await stratus.stop();
  }
  if (profile) {
    const found = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    if (found.length === 1) process.stdout.write(formatProfileSummary(summariseProfile(join(profDir, found[0]), { top: 25, window })));
    rmSync(profDir, { recursive: true, force: true });
  }
}
