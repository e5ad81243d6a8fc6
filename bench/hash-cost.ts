// Measures what one password check costs at each scrypt log2N on this machine, so token issue can be compared
// with Keystone at an equal hash cost rather than at whatever cost each happens to default to.
import { cpuUsage } from 'node:process';
import { hashSecret, verifySecret } from '#services/identity/domain/password-hash.ts';

export interface HashTiming {
  log2N: number;
  /** Median CPU time of one verifySecret (all threads of this process; scrypt runs on libuv's pool). */
  cpuMs: number;
  /** Median wall time of one verifySecret, run one at a time. */
  wallMs: number;
  samples: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Times verifySecret (the check token issue does) at one cost; the caller runs nothing else meanwhile. */
export async function timeHash(log2N: number, samples: number): Promise<HashTiming> {
  const stored = await hashSecret('correct horse battery staple', { log2N, r: 8, p: 1 });
  await verifySecret('correct horse battery staple', stored); // warm-up: first use allocates the scrypt buffers
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < samples; i++) {
    const c0 = cpuUsage();
    const t0 = performance.now();
    if (!(await verifySecret('correct horse battery staple', stored))) throw new Error('verifySecret rejected its own hash');
    wall.push(performance.now() - t0);
    const c = cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { log2N, cpuMs: median(cpu), wallMs: median(wall), samples };
}

/**
 * Times log2N = from, from+1, … until one check costs well over the target, and picks the cost closest to the
 * target on a log scale (each step doubles the work, so "closest" means the smallest ratio either way).
 */
export async function findEqualHashCost(opts: { targetMs: number; from?: number; max?: number; samples?: number }): Promise<{ timings: HashTiming[]; chosen: HashTiming }> {
  const timings: HashTiming[] = [];
  for (let n = opts.from ?? 13; n <= (opts.max ?? 20); n++) {
    const t = await timeHash(n, opts.samples ?? 5);
    timings.push(t);
    if (t.cpuMs > opts.targetMs * 2) break;
  }
  const distance = (t: HashTiming) => Math.abs(Math.log(t.cpuMs / opts.targetMs));
  const chosen = timings.reduce((best, t) => (distance(t) < distance(best) ? t : best));
  return { timings, chosen };
}

/**
 * Checks per second with `concurrency` checks in flight (libuv's pool runs 4 at once by default, as in the server):
 * the most token issue could reach at this cost on this machine, memory-bandwidth contention between parallel
 * scrypt runs included, which `cores ÷ single-check CPU time` leaves out.
 */
export async function hashThroughput(log2N: number, opts: { seconds: number; concurrency?: number }): Promise<number> {
  const stored = await hashSecret('correct horse battery staple', { log2N, r: 8, p: 1 });
  const concurrency = opts.concurrency ?? Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const until = performance.now() + opts.seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await verifySecret('correct horse battery staple', stored);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return done / ((performance.now() - t0) / 1000);
}
