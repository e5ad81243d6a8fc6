// Runs wrk the way BENCHMARKS.md's peer figures were taken (-t2 -c8, --latency) and parses its report into numbers.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';

export interface WrkOptions {
  url: string;
  seconds: number;
  threads?: number;
  connections?: number;
  headers?: Record<string, string>;
  /** A wrk Lua script (method, body, headers); its environment gets `env`. */
  script?: string;
  env?: Record<string, string>;
  /** wrk's per-request timeout; the default 2 s would turn slow token issues into socket errors. */
  timeoutSeconds?: number;
}

export interface WrkResult {
  requestsPerSecond: number;
  requests: number;
  seconds: number;
  /** Latency percentiles in milliseconds, from wrk's --latency distribution. */
  p50Ms: number;
  p75Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** 1-minute load average when the run started: a noisy neighbour shows up here. */
  loadAvgBefore: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** wrk prints times as `635.00us`, `1.20ms`, `2.01s`, `1.00m`. */
export function parseWrkTime(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`cannot parse wrk time "${text}"`);
  // Rounded to wrk's own resolution (10 µs at most), so 0.563 ms does not print as 0.5630000000000001.
  return Math.round(Number(m[1]) * UNIT_MS[m[2]] * 1000) / 1000;
}

/** Parses wrk's text report (run with --latency); throws if a figure the bench reports is missing. */
export function parseWrkOutput(out: string): Omit<WrkResult, 'loadAvgBefore'> {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    if (!m) throw new Error(`wrk output has no ${p}% latency line (was --latency passed?):\n${out}`);
    return parseWrkTime(m[1]);
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const total = /^\s+(\d+) requests in ([\d.]+\w+),/m.exec(out);
  if (!rps || !total) throw new Error(`cannot parse wrk output:\n${out}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    seconds: parseWrkTime(total[2]) / 1000,
    p50Ms: pct('50'), p75Ms: pct('75'), p90Ms: pct('90'), p99Ms: pct('99'),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock
      ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

/** Runs wrk once and returns its parsed report; rejects if wrk fails or cannot be found. */
export function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${o.threads ?? 2}`, `-c${o.connections ?? 8}`, `-d${o.seconds}s`, '--latency', `--timeout`, `${o.timeoutSeconds ?? 10}s`,
    ...Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    ...(o.script ? ['-s', o.script] : []),
    o.url,
  ];
  const loadAvgBefore = loadavg()[0];
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.WRK ?? 'wrk', args, { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.on('error', (e) => reject(new Error(`cannot run wrk (apt-get install -y wrk): ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`wrk exited with ${code}: ${err || out}`)); return; }
      try { resolve({ ...parseWrkOutput(out), loadAvgBefore }); } catch (e) { reject(e as Error); }
    });
  });
}
