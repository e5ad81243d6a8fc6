// Turns the identity bench's runs into medians, ratios to the Keystone peer and to the floor, and a printable table.
import type { WrkResult } from './wrk.ts';
import type { HashTiming } from './hash-cost.ts';

/** Keystone 22 figures from /work/shared/BENCHMARKS.md (2026-11-24, 2 cores, wrk -t2 -c8, medians of 3). */
export const KEYSTONE = {
  issue: { rps: 8.9, rpsMemcache: 10.9, p50Ms: 857 },
  validate: { rps: 57, rpsMemcache: 256, p50Ms: 137, p50MsMemcache: 31 },
  projects: { rps: 58, rpsMemcache: 274, p50Ms: 135, p50MsMemcache: 28 },
  version: { rps: 4996, p50Ms: 1.5 },
  /** Keystone's CPU per bcrypt check at its default cost. */
  hashMs: 220,
} as const;

/** The node:http floor as BENCHMARKS.md measured it (keep-alive): comparing ours to it shows how loaded this machine is. */
export const PEER_FLOOR_RPS = 77_600;

export const TARGETS = {
  validateOverKeystone: 20,
  validateOverFloor: 0.5,
  issueOverKeystoneEqualHash: 5,
} as const;

export interface WorkloadSummary {
  name: string;
  what: string;
  runs: WrkResult[];
  medianRps: number;
  medianP50Ms: number;
  medianP99Ms: number;
  non2xx: number;
  socketErrors: number;
}

export interface Ratios {
  validateOverKeystone: number;
  validateOverFloor: number;
  issueEqualOverKeystone: number;
  /** Issue throughput scaled linearly to a 220 ms hash, over Keystone: corrects for the chosen cost not being exactly 220 ms. */
  issueEqualScaledOverKeystone: number;
  /** Issue throughput over cores ÷ hash CPU time, the most any implementation could do at this cost. */
  issueEqualOverHashCeiling: number;
  issueDefaultOverHashCeiling: number;
  /** Issue throughput over scrypt alone with libuv's 4 checks in flight, measured before the load: the practical ceiling. */
  issueEqualOverHashThroughput: number;
  issueDefaultOverHashThroughput: number;
  projectsOverKeystone: number;
  versionOverKeystone: number;
  floorOverPeerFloor: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function summarise(name: string, what: string, runs: WrkResult[]): WorkloadSummary {
  return {
    name, what, runs,
    medianRps: median(runs.map((r) => r.requestsPerSecond)),
    medianP50Ms: median(runs.map((r) => r.p50Ms)),
    medianP99Ms: median(runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    socketErrors: runs.reduce((n, r) => n + r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout, 0),
  };
}

/** Ratios the docs quote; a workload left out of the run (--only) yields NaN for the ratios that need it. */
export interface HashCosts {
  default: HashTiming;
  equal: HashTiming;
  /** verifySecret calls per second with libuv's pool full, at each cost. */
  hashesPerSecond: { default: number; equal: number };
}

export function ratios(w: Record<string, WorkloadSummary | undefined>, hash: HashCosts, cores: number): Ratios {
  const rps = (k: string) => w[k]?.medianRps ?? NaN;
  const ceiling = (t: HashTiming) => cores / (t.cpuMs / 1000);
  return {
    validateOverKeystone: rps('validate') / KEYSTONE.validate.rps,
    validateOverFloor: rps('validate') / rps('floor'),
    issueEqualOverKeystone: rps('issue-equal') / KEYSTONE.issue.rps,
    issueEqualScaledOverKeystone: (rps('issue-equal') * (hash.equal.cpuMs / KEYSTONE.hashMs)) / KEYSTONE.issue.rps,
    issueEqualOverHashCeiling: rps('issue-equal') / ceiling(hash.equal),
    issueDefaultOverHashCeiling: rps('issue-default') / ceiling(hash.default),
    issueEqualOverHashThroughput: rps('issue-equal') / hash.hashesPerSecond.equal,
    issueDefaultOverHashThroughput: rps('issue-default') / hash.hashesPerSecond.default,
    projectsOverKeystone: rps('projects') / KEYSTONE.projects.rps,
    versionOverKeystone: rps('version') / KEYSTONE.version.rps,
    floorOverPeerFloor: rps('floor') / PEER_FLOOR_RPS,
  };
}

const fmtRps = (x: number) => (Number.isNaN(x) ? '—' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const fmtMs = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const fmtX = (x: number) => (Number.isNaN(x) ? '—' : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatReport(o: {
  workloads: WorkloadSummary[]; ratios: Ratios; hashTimings: HashTiming[]; equal: HashTiming; defaultCost: HashTiming;
  hashesPerSecond: HashCosts['hashesPerSecond'];
}): string {
  const peer: Record<string, { rps: number; p50Ms: number } | undefined> = {
    'issue-default': undefined, 'issue-equal': KEYSTONE.issue, validate: KEYSTONE.validate, projects: KEYSTONE.projects, version: KEYSTONE.version,
    floor: { rps: PEER_FLOOR_RPS, p50Ms: 0.09 },
  };
  const r = o.ratios;
  const verdict = (ratio: number, target: number) => (Number.isNaN(ratio) ? 'not measured' : ratio >= target ? 'met' : 'NOT met');
  return [
    `scrypt verify, CPU ms per check (r=8, p=1): ${o.hashTimings.map((t) => `log2N=${t.log2N}: ${t.cpuMs.toFixed(0)} ms`).join(', ')}`,
    `equal-cost run uses log2N=${o.equal.log2N} (${o.equal.cpuMs.toFixed(0)} ms vs Keystone's ~${KEYSTONE.hashMs} ms bcrypt); default log2N=${o.defaultCost.log2N} (${o.defaultCost.cpuMs.toFixed(0)} ms)`,
    `scrypt alone, 4 checks in flight: ${o.hashesPerSecond.default.toFixed(1)}/s at log2N=${o.defaultCost.log2N}, ${o.hashesPerSecond.equal.toFixed(1)}/s at log2N=${o.equal.log2N}`,
    '',
    table(
      ['workload', 'req/s', 'p50 ms', 'p99 ms', 'runs req/s', 'errors', 'peer req/s', 'peer p50 ms'],
      o.workloads.map((w) => [
        w.what, fmtRps(w.medianRps), fmtMs(w.medianP50Ms), fmtMs(w.medianP99Ms),
        w.runs.map((x) => fmtRps(x.requestsPerSecond)).join(' / '), String(w.non2xx + w.socketErrors),
        peer[w.name] ? fmtRps(peer[w.name]!.rps) : '', peer[w.name] ? String(peer[w.name]!.p50Ms) : '',
      ]),
    ),
    '',
    `validation ÷ Keystone     ${fmtX(r.validateOverKeystone)}  (target ≥ ${TARGETS.validateOverKeystone}×: ${verdict(r.validateOverKeystone, TARGETS.validateOverKeystone)})`,
    `validation ÷ floor        ${fmtX(r.validateOverFloor)}  (target ≥ ${TARGETS.validateOverFloor}×: ${verdict(r.validateOverFloor, TARGETS.validateOverFloor)})`,
    `issue ÷ Keystone, equal hash cost  ${fmtX(r.issueEqualOverKeystone)} (scaled to exactly ${KEYSTONE.hashMs} ms: ${fmtX(r.issueEqualScaledOverKeystone)}; target ≥ ${TARGETS.issueOverKeystoneEqualHash}×: ${verdict(r.issueEqualOverKeystone, TARGETS.issueOverKeystoneEqualHash)})`,
    `issue ÷ hash ceiling (cores ÷ hash CPU time): equal cost ${fmtX(r.issueEqualOverHashCeiling)}, default cost ${fmtX(r.issueDefaultOverHashCeiling)}`,
    `issue ÷ scrypt alone (4 in flight):           equal cost ${fmtX(r.issueEqualOverHashThroughput)}, default cost ${fmtX(r.issueDefaultOverHashThroughput)}`,
    `project list ÷ Keystone   ${fmtX(r.projectsOverKeystone)};  version document ÷ Keystone ${fmtX(r.versionOverKeystone)}`,
    `floor ÷ BENCHMARKS.md floor (${PEER_FLOOR_RPS.toLocaleString('en-US')}/s)  ${fmtX(r.floorOverPeerFloor)}  (well below 1× means this machine is slower or busy)`,
  ].join('\n');
}
