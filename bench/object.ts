// `npm run bench -- object`: Object Storage through `stratus up` (3 replicas, fsync on): 4 KiB PUT and GET objects/s at
// concurrency 16 (BENCH_OBJECTS, default 2000, each), 1 MiB PUT and GET MB/s (BENCH_LARGE_OBJECTS, default 100), and
// the time to list a container of BENCH_LIST_OBJECTS (default 10,000) objects in pages of 10,000, as Swift's limit.
// Also reported: Stratus's CPU time per request in each workload. BENCH_PROFILE=1 CPU-profiles Stratus (--cpu-prof)
// and prints where each workload's time went.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProfileSummary, summariseProfile } from './cpu-profile.ts';
import { freePort, issueToken, startStratus } from './stratus-process.ts';

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
/**
 * CPU time (user + system, all threads) a process has used, in ms, from /proc (clock ticks of 10 ms). CPU per request
 * says more than a rate on a machine other work shares: it does not drop when the cores are busy elsewhere.
 */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
/** Each workload's time window on the monotonic clock the profile shares, for a per-workload profile summary. */
const windows: { name: string; fromUs: number; toUs: number }[] = [];

/** Runs `count` operations over `concurrency` workers; returns the seconds taken. */
async function pool(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await op(next++);
  }));
  return (performance.now() - started) / 1000;
}

async function expect(res: Response, ok: number[], what: string): Promise<Buffer> {
  const body = Buffer.from(await res.arrayBuffer());
  if (!ok.includes(res.status)) throw new Error(`${what}: ${res.status} ${body.toString('utf8').slice(0, 200)}`);
  return body;
}

export async function main(args: string[]): Promise<void> {
  if (args.length) throw new Error(`bench object takes no options (got ${args.join(' ')}); use BENCH_OBJECTS, BENCH_LARGE_OBJECTS, BENCH_LIST_OBJECTS`);
  const small = env('BENCH_OBJECTS', 2000);
  const large = env('BENCH_LARGE_OBJECTS', 100);
  const listed = env('BENCH_LIST_OBJECTS', 10_000);
  const concurrency = 16;
  const profileDir = process.env.BENCH_PROFILE === '1' ? mkdtempSync(join(tmpdir(), 'stratus-bench-prof-')) : undefined;
  // Every API on a free port, so a cloud already running on this machine (on the default ports) does not stop the run.
  const ports: Record<string, string> = {};
  for (const section of ['IMAGE', 'PLACEMENT', 'COMPUTE', 'NETWORK', 'BLOCK_STORAGE', 'OBJECT_STORAGE']) ports[`STRATUS_${section}_PORT`] = String(await freePort());
  for (const port of ['NOVNCPROXY_PORT', 'SERIALPROXY_PORT', 'METADATA_PORT']) ports[`STRATUS_COMPUTE_${port}`] = String(await freePort());
  ports.STRATUS_OBJECT_STORAGE_STORAGE_NODE_PORT = String(await freePort());
  const stratus = await startStratus({ env: ports, ...(profileDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}) });
  const cpuMsPerOp: Record<string, number> = {};
  const timed = async (name: string, ops: number, run: () => Promise<number>): Promise<number> => {
    const fromUs = nowUs();
    const cpuBefore = cpuMsOf(stratus.pid);
    const seconds = await run();
    cpuMsPerOp[name] = Number(((cpuMsOf(stratus.pid) - cpuBefore) / ops).toFixed(2));
    windows.push({ name, fromUs, toUs: nowUs() });
    return seconds;
  };
  try {
    const token = await issueToken(stratus.url, stratus.admin);
    const tokenDoc = await (await fetch(`${stratus.url}/v3/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } })).json() as {
      token: { catalog: { type: string; endpoints: { interface: string; url: string }[] }[] };
    };
    const account = tokenDoc.token.catalog.find((s) => s.type === 'object-store')!.endpoints.find((e) => e.interface === 'public')!.url;
    const h = { 'x-auth-token': token };
    for (const c of ['small', 'large', 'listing']) await expect(await fetch(`${account}/${c}`, { method: 'PUT', headers: h }), [201, 202], `PUT container ${c}`);

    const kib4 = Buffer.alloc(4096, 7);
    const putSmall = await timed('PUT 4 KiB', small, () => pool(small, concurrency, async (i) => {
      await expect(await fetch(`${account}/small/o${i}`, { method: 'PUT', headers: { ...h, 'content-type': 'application/octet-stream' }, body: kib4 }), [201], 'PUT 4 KiB');
    }));
    const getSmall = await timed('GET 4 KiB', small, () => pool(small, concurrency, async (i) => {
      const body = await expect(await fetch(`${account}/small/o${i}`, { headers: h }), [200], 'GET 4 KiB');
      if (body.length !== 4096) throw new Error('short read');
    }));
    const mib = Buffer.alloc(1024 * 1024, 9);
    const putLarge = await timed('PUT 1 MiB', large, () => pool(large, concurrency, async (i) => {
      await expect(await fetch(`${account}/large/o${i}`, { method: 'PUT', headers: { ...h, 'content-type': 'application/octet-stream' }, body: mib }), [201], 'PUT 1 MiB');
    }));
    const getLarge = await timed('GET 1 MiB', large, () => pool(large, concurrency, async (i) => {
      const body = await expect(await fetch(`${account}/large/o${i}`, { headers: h }), [200], 'GET 1 MiB');
      if (body.length !== mib.length) throw new Error('short read');
    }));
    // The listing container is filled with empty objects (not measured), then listed whole.
    await pool(listed, concurrency, async (i) => {
      await expect(await fetch(`${account}/listing/${String(i).padStart(6, '0')}`, { method: 'PUT', headers: h, body: '' }), [201], 'PUT listing object');
    });
    const listStart = performance.now();
    let names = 0;
    let marker = '';
    for (;;) {
      const page = JSON.parse((await expect(await fetch(`${account}/listing?format=json&limit=10000${marker ? `&marker=${marker}` : ''}`, { headers: h }), [200], 'GET listing')).toString()) as { name: string }[];
      names += page.length;
      if (page.length < 10_000) break;
      marker = page.at(-1)!.name;
    }
    const listMs = performance.now() - listStart;
    if (names !== listed) throw new Error(`listed ${names} of ${listed} objects`);

    const report = {
      replicas: 3, concurrency, put4kPerSecond: Math.round(small / putSmall), get4kPerSecond: Math.round(small / getSmall),
      put1MiBMBps: Number((large / putLarge).toFixed(1)), get1MiBMBps: Number((large / getLarge).toFixed(1)),
      list10kMs: Math.round(listMs), listedObjects: names, stratusCpuMsPerRequest: cpuMsPerOp, cpus: cpus().length, load: loadavg().map((l) => l.toFixed(2)).join(' '),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await stratus.stop();
  }
  if (profileDir) {
    const [file] = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile in ${profileDir}`);
    for (const w of windows) {
      process.stdout.write(`\n${w.name} (profiler on, so slower):\n${formatProfileSummary(summariseProfile(join(profileDir, file), { top: 15, window: w }))}\n`);
    }
    process.stdout.write(`\nprofile kept at ${join(profileDir, file)}\n`);
  }
}
