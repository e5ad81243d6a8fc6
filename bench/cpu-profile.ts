// Summarises a V8 .cpuprofile (node --cpu-prof) into self and total time per function and per package or source file,
// so a bench run says where the time went without opening DevTools.
// Usage on its own: node bench/cpu-profile.ts <file.cpuprofile> [topN]
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface TimeShare { name: string; ms: number; percent: number }

export interface ProfileSummary {
  /** Sampled time, idle included (only inside the window, when one was given). */
  totalMs: number;
  /** Whether samples were limited to a time window (e.g. the load run, leaving out startup). */
  windowed: boolean;
  idlePercent: number;
  gcPercent: number;
  topSelf: TimeShare[];
  /** Self time grouped by npm package, node: internal module, or Stratus source file. */
  byOwner: TimeShare[];
  /** Total (inclusive) time of Stratus's own functions: which of our calls the work hangs under. */
  topStratusTotal: TimeShare[];
}

const ROOT = resolve(import.meta.dirname, '..');

function shortUrl(url: string): string {
  if (!url) return '';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.startsWith('/') ? relative(ROOT, path) : path;
}

/** Who owns a frame: an npm package, a node: internal module, a Stratus file, or V8 itself. */
function owner(cf: CallFrame): string {
  const u = shortUrl(cf.url);
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : 'native (V8 builtins, C++)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (pkg) return `npm:${pkg[1]}`;
  if (u.startsWith('node:')) return u.replace(/^node:internal\/(\w+).*$/, 'node:internal/$1');
  return u;
}

const frameName = (cf: CallFrame) => `${cf.functionName || '(anonymous)'}${cf.url ? ` ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : ''}`;

function top(map: Map<string, number>, totalMs: number, n: number): TimeShare[] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((us / 1000 / totalMs) * 1000) / 10 }));
}

/**
 * Self and total time per function. `window` (microseconds on the monotonic clock, which V8's profile timestamps and
 * process.hrtime share across processes on Linux) keeps only samples taken inside it, e.g. during the load run.
 */
export function summariseProfile(file: string, opts: { top?: number; window?: { fromUs: number; toUs: number } } = {}): ProfileSummary {
  const n = opts.top ?? 20;
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const w = opts.window;
  if (w && (w.toUs < p.startTime || w.fromUs > p.endTime)) throw new Error(`window ${w.fromUs}–${w.toUs} µs lies outside the profile (${p.startTime}–${p.endTime})`);
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id);

  const self = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const stratusTotal = new Map<string, number>();
  let total = 0;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i];
    if (w && (at < w.fromUs || at > w.toUs)) continue;
    // timeDeltas[i + 1] is the time from sample i to the next one: the time sample i stands for.
    const dt = p.timeDeltas[i + 1] ?? 0;
    total += dt;
    const node = byId.get(p.samples[i])!;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + dt);
    const o = owner(node.callFrame);
    byOwner.set(o, (byOwner.get(o) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)!.callFrame;
      if (!shortUrl(cf.url).startsWith('src/')) continue;
      const key = frameName(cf);
      if (seen.has(key)) continue; // recursion: count a sample once per function
      seen.add(key);
      stratusTotal.set(key, (stratusTotal.get(key) ?? 0) + dt);
    }
  }
  const totalMs = total / 1000;
  const pct = (key: string) => Math.round(((byOwner.get(key) ?? 0) / 1000 / totalMs) * 1000) / 10;
  return {
    totalMs: Math.round(totalMs),
    windowed: w !== undefined,
    idlePercent: pct('(idle)'),
    gcPercent: pct('(garbage collector)'),
    topSelf: top(self, totalMs, n),
    byOwner: top(byOwner, totalMs, n),
    topStratusTotal: top(stratusTotal, totalMs, n),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const rows = (xs: TimeShare[]) => xs.map((x) => `  ${x.percent.toFixed(1).padStart(5)}%  ${String(x.ms).padStart(8)} ms  ${x.name}`);
  return [
    `sampled ${s.totalMs} ms${s.windowed ? ' (load run only)' : ''}; idle ${s.idlePercent}%, GC ${s.gcPercent}%`,
    'self time by function:', ...rows(s.topSelf),
    'self time by owner (package, node internal module, or Stratus file):', ...rows(s.byOwner),
    'total time under Stratus functions (src/):', ...rows(s.topStratusTotal),
  ].join('\n');
}

if (import.meta.main) {
  const [file, n] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node bench/cpu-profile.ts <file.cpuprofile> [topN]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summariseProfile(file, { top: n ? Number(n) : 20 }))}\n`);
}
