// `npm run bench -- identity`: Identity's hot paths under wrk beside the node:http floor, at Keystone's hash cost too.
import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runWrk } from './wrk.ts';
import type { WrkOptions, WrkResult } from './wrk.ts';
import { findEqualHashCost, hashThroughput, timeHash } from './hash-cost.ts';
import { issueToken, passwordAuthBody, startStratus, stopChild, waitForOutput } from './stratus-process.ts';
import type { StratusProcess } from './stratus-process.ts';
import { KEYSTONE, formatReport, ratios, summarise } from './identity-report.ts';
import type { WorkloadSummary } from './identity-report.ts';
import { formatProfileSummary, summariseProfile } from './cpu-profile.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DEFAULT_LOG2N = 15;

interface Settings {
  seconds: number;
  runs: number;
  warmupSeconds: number;
  resultsDir: string;
  profile: boolean;
  only?: string[];
}

interface Workload {
  name: string;
  what: string;
  /** Status a single request must get before we load it: a bench of error responses measures nothing. */
  expect: number;
  wrk: Omit<WrkOptions, 'seconds'>;
}

function settings(args: string[]): Settings {
  const num = (name: string, dflt: number) => {
    const v = Number(process.env[name] ?? dflt);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
    return v;
  };
  const onlyArg = args.find((a) => a.startsWith('--only='));
  const unknown = args.filter((a) => a !== '--profile' && !a.startsWith('--only='));
  if (unknown.length) {
    process.stderr.write(`bench identity: unknown option(s) ${unknown.join(' ')}; known: --profile, --only=<workload,…>\n`);
    process.exit(2);
  }
  return {
    seconds: num('BENCH_SECONDS', 10),
    runs: num('BENCH_RUNS', 3),
    warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 2),
    resultsDir: resolve(ROOT, process.env.BENCH_RESULTS_DIR ?? 'data/bench'),
    profile: args.includes('--profile') || process.env.BENCH_PROFILE === '1',
    only: onlyArg?.slice('--only='.length).split(',').filter(Boolean),
  };
}

async function startFloor(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'bench/floor-server.ts'), '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const m = await waitForOutput(child, /listening (\d+)/, 15_000);
    child.stdout?.resume();
    return { url: `http://127.0.0.1:${m[1]}/`, child };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

/** One request per workload before loading it, so a wrong status fails the bench instead of being measured. */
async function check(w: Workload): Promise<void> {
  const headers = { ...w.wrk.headers, ...(w.wrk.env?.BENCH_TOKEN_BODY ? { 'Content-Type': 'application/json' } : {}) };
  const res = await fetch(w.wrk.url, { method: w.wrk.env?.BENCH_TOKEN_BODY ? 'POST' : 'GET', headers, body: w.wrk.env?.BENCH_TOKEN_BODY });
  const text = await res.text();
  if (res.status !== w.expect) throw new Error(`${w.name}: expected ${w.expect} from ${w.wrk.url}, got ${res.status}: ${text.slice(0, 300)}`);
}

function assertClean(w: Workload, r: WrkResult): void {
  const errors = r.non2xx + r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout;
  if (errors > r.requests * 0.01) {
    throw new Error(`${w.name}: ${errors} of ${r.requests} requests failed (non-2xx ${r.non2xx}, socket ${JSON.stringify(r.socketErrors)}); not reporting errors as throughput`);
  }
  if (errors > 0) process.stderr.write(`warning: ${w.name}: ${errors} failed requests of ${r.requests}\n`);
}

function gitState(): { commit: string; dirty: boolean } | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

/** CPU-profiles a fresh Stratus while wrk validates tokens against it; returns the summary and the kept profile path. */
async function profileValidation(s: Settings, stamp: string): Promise<{ file: string; summary: ReturnType<typeof summariseProfile> }> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-prof-'));
  const stratus = await startStratus({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  let window: { fromUs: number; toUs: number } | undefined;
  try {
    const [auth, subject] = [await issueToken(stratus.url, stratus.admin), await issueToken(stratus.url, stratus.admin)];
    const load = { url: `${stratus.url}/v3/auth/tokens`, headers: { 'X-Auth-Token': auth, 'X-Subject-Token': subject } };
    // Warm up first, then keep only the samples of the measured run: startup and JIT warm-up are not the hot path.
    if (s.warmupSeconds > 0) await runWrk({ ...load, seconds: s.warmupSeconds });
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const r = await runWrk({ ...load, seconds: s.seconds });
    window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
    process.stdout.write(`profiled validation run (profiler on, so slower): ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms} ms\n`);
  } finally {
    await stratus.stop();
  }
  const found = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (found.length !== 1) throw new Error(`expected one .cpuprofile in ${dir}, found ${found.length}`);
  const file = join(s.resultsDir, `identity-${stamp}-validate.cpuprofile`);
  copyFileSync(join(dir, found[0]), file);
  rmSync(dir, { recursive: true, force: true });
  return { file, summary: summariseProfile(file, { top: 20, window }) };
}

export async function main(args: string[]): Promise<void> {
  const s = settings(args);
  const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
  mkdirSync(s.resultsDir, { recursive: true });
  const cores = availableParallelism();
  process.stdout.write(`identity bench: wrk -t2 -c8, ${s.runs} × ${s.seconds} s per workload (after ${s.warmupSeconds} s warm-up), ${cores} cores, load ${loadavg()[0].toFixed(2)}\n`);

  // Hash costs first, with nothing else running in this process.
  process.stdout.write('timing scrypt per log2N…\n');
  const { timings, chosen: equal } = await findEqualHashCost({ targetMs: KEYSTONE.hashMs });
  const defaultCost = timings.find((t) => t.log2N === DEFAULT_LOG2N) ?? await timeHash(DEFAULT_LOG2N, 5);
  const hashesPerSecond = {
    default: await hashThroughput(DEFAULT_LOG2N, { seconds: 3 }),
    equal: await hashThroughput(equal.log2N, { seconds: 3 }),
  };

  const children: { stop(): Promise<void> }[] = [];
  const stopAll = () => Promise.all(children.map((c) => c.stop().catch(() => undefined)));
  const onSignal = () => { void stopAll().then(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const floor = await startFloor();
    children.push({ stop: () => stopChild(floor.child) });
    const stratus: StratusProcess = await startStratus({ env: { STRATUS_IDENTITY_PASSWORD_HASH_LOG2N: String(DEFAULT_LOG2N) } });
    children.push(stratus);
    const stratusEqual: StratusProcess = await startStratus({ env: { STRATUS_IDENTITY_PASSWORD_HASH_LOG2N: String(equal.log2N) } });
    children.push(stratusEqual);

    const adminToken = await issueToken(stratus.url, stratus.admin);
    const subjectToken = await issueToken(stratus.url, stratus.admin);
    const script = join(ROOT, 'bench/token-issue.lua');
    const all: Workload[] = [
      { name: 'floor', what: 'floor: bare node:http, small JSON', expect: 200, wrk: { url: floor.url } },
      { name: 'version', what: 'version document GET /', expect: 300, wrk: { url: `${stratus.url}/` } },
      {
        name: 'validate', what: 'token validation GET /v3/auth/tokens', expect: 200,
        wrk: { url: `${stratus.url}/v3/auth/tokens`, headers: { 'X-Auth-Token': adminToken, 'X-Subject-Token': subjectToken } },
      },
      { name: 'projects', what: 'project list GET /v3/projects', expect: 200, wrk: { url: `${stratus.url}/v3/projects`, headers: { 'X-Auth-Token': adminToken } } },
      {
        name: 'issue-default', what: `token issue, scrypt log2N=${DEFAULT_LOG2N} (default)`, expect: 201,
        wrk: { url: `${stratus.url}/v3/auth/tokens`, script, env: { BENCH_TOKEN_BODY: passwordAuthBody(stratus.admin) } },
      },
      {
        name: 'issue-equal', what: `token issue, scrypt log2N=${equal.log2N} (≈ Keystone bcrypt)`, expect: 201,
        wrk: { url: `${stratusEqual.url}/v3/auth/tokens`, script, env: { BENCH_TOKEN_BODY: passwordAuthBody(stratusEqual.admin) } },
      },
    ];
    const workloads = s.only ? all.filter((w) => s.only!.includes(w.name)) : all;
    if (workloads.length === 0) throw new Error(`--only matched nothing; workloads: ${all.map((w) => w.name).join(', ')}`);
    for (const w of workloads) await check(w);

    if (s.warmupSeconds > 0) {
      process.stdout.write('warming up…\n');
      for (const w of workloads) await runWrk({ ...w.wrk, seconds: s.warmupSeconds });
    }
    // Runs are interleaved (run 1 of every workload, then run 2, …) so a burst of load from a neighbour spreads
    // over all workloads instead of landing on one.
    const results = new Map<string, WrkResult[]>(workloads.map((w) => [w.name, []]));
    for (let run = 1; run <= s.runs; run++) {
      for (const w of workloads) {
        const r = await runWrk({ ...w.wrk, seconds: s.seconds });
        assertClean(w, r);
        results.get(w.name)!.push(r);
        process.stdout.write(`run ${run}/${s.runs} ${w.name.padEnd(13)} ${r.requestsPerSecond.toFixed(1).padStart(9)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  (load average ${r.loadAvgBefore.toFixed(2)})\n`);
      }
    }
    await stopAll();
    children.length = 0;

    const summaries: WorkloadSummary[] = workloads.map((w) => summarise(w.name, w.what, results.get(w.name)!));
    const byName = Object.fromEntries(summaries.map((w) => [w.name, w]));
    const r = ratios(byName, { default: defaultCost, equal, hashesPerSecond }, cores);
    process.stdout.write(`\n${formatReport({ workloads: summaries, ratios: r, hashTimings: timings, equal, defaultCost, hashesPerSecond })}\n`);

    const profile = s.profile ? await profileValidation(s, stamp) : undefined;
    if (profile) process.stdout.write(`\nCPU profile of the validation path (${profile.file}):\n${formatProfileSummary(profile.summary)}\n`);

    const out = join(s.resultsDir, `identity-${stamp}.json`);
    writeFileSync(out, `${JSON.stringify({
      area: 'identity', date: new Date().toISOString(), settings: { ...s, threads: 2, connections: 8 },
      machine: { cores, cpu: cpus()[0]?.model, node: process.version, loadAvgAfter: loadavg() },
      git: gitState(),
      hash: { targetMs: KEYSTONE.hashMs, timings, equal, default: defaultCost, hashesPerSecond },
      peer: { keystone: KEYSTONE, source: '/work/shared/BENCHMARKS.md' },
      workloads: summaries, ratios: r, profile,
    }, null, 2)}\n`);
    process.stdout.write(`\nwrote ${out}\n`);
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
