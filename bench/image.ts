// `npm run bench -- image`: upload then download a large raw image through `stratus up` (streaming both ways, MD5
// verified against the image's checksum, peak RSS growth of the Stratus process sampled every 50 ms), beside curl
// streaming the same file to and from a bare node:http server (bench/floor-upload-server.ts) in the same run.
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, issueToken, startStratus, stopChild, waitForOutput } from './stratus-process.ts';

const ROOT = resolve(import.meta.dirname, '..');
const MiB = 1024 * 1024;
const TARGET_RATIO = 0.7;
const TARGET_RSS_MIB = 64;

interface Transfer {
  mbPerSecond: number;
  seconds: number;
  /** Peak VmRSS during the transfer minus VmRSS just before it, in MiB (Stratus only). */
  rssGrowthMiB?: number;
}

function settings(args: string[]): { mb: number; resultsDir: string } {
  if (args.length) {
    process.stderr.write(`bench image: unknown option(s) ${args.join(' ')}; sizes come from BENCH_IMAGE_MB\n`);
    process.exit(2);
  }
  const mb = Number(process.env.BENCH_IMAGE_MB ?? 1024);
  if (!Number.isInteger(mb) || mb <= 0) throw new Error('BENCH_IMAGE_MB must be a positive integer');
  return { mb, resultsDir: resolve(ROOT, process.env.BENCH_RESULTS_DIR ?? 'data/bench') };
}

/** Writes `mb` MiB of pseudo-random data (fresh random blocks, so neither zeros nor a short repeating pattern); returns its MD5. */
function generate(file: string, mb: number): string {
  const md5 = createHash('md5');
  const fd = openSync(file, 'w');
  try {
    const block = randomBytes(4 * MiB);
    for (let written = 0; written < mb; written++) {
      // Each MiB: a 1 MiB slice of the random block, its first bytes replaced by the MiB's index so no two MiB repeat.
      const chunk = Buffer.from(block.subarray((written % 4) * MiB, (written % 4 + 1) * MiB));
      chunk.writeUInt32BE(written, 0);
      randomBytes(64).copy(chunk, 4);
      md5.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return md5.digest('hex');
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/**
 * Waits until a process's RSS has moved less than 4 MiB over the last 3 s (at most 60 s); returns the seconds waited.
 * Right after `stratus up` is ready its services still log in to Identity, and each scrypt password check takes
 * 32 MiB in the thread pool for a moment: RSS swings by up to ~90 MiB for several seconds. Measuring a transfer from
 * a baseline taken inside those swings charges them to the transfer.
 */
async function waitForSteadyRss(pid: number): Promise<number> {
  const t0 = Date.now();
  const window: number[] = [];
  while (Date.now() - t0 < 60_000) {
    window.push(rssKiB(pid));
    if (window.length > 30) window.shift();
    if (window.length === 30 && Math.max(...window) - Math.min(...window) < 4 * 1024) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return (Date.now() - t0) / 1000;
}

/** Samples a process's RSS every 50 ms until stopped; returns the growth of the peak over the first sample, in MiB. */
function sampleRss(pid: number): { stop(): number } {
  const base = rssKiB(pid);
  let peak = base;
  const timer = setInterval(() => { peak = Math.max(peak, rssKiB(pid)); }, 50);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssKiB(pid));
      return (peak - base) / 1024;
    },
  };
}

function send(url: string, opts: { method: string; headers: Record<string, string | number>; body?: string | NodeJS.ReadableStream }): Promise<IncomingMessage> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: opts.method, headers: opts.headers }, ok);
    req.once('error', fail);
    if (opts.body === undefined) req.end();
    else if (typeof opts.body === 'string') req.end(opts.body);
    else {
      opts.body.once('error', fail);
      opts.body.pipe(req);
    }
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += chunk;
  return text;
}

async function curl(args: string[]): Promise<number> {
  return new Promise((ok, fail) => {
    execFile('curl', ['-sS', '--fail', ...args], { encoding: 'utf8' }, (err, stdout) => {
      if (err) fail(err);
      else ok(Number(stdout.trim()));
    });
  });
}

async function startDataFloor(file: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [join(ROOT, 'bench/floor-upload-server.ts'), file, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const m = await waitForOutput(child, /listening (\d+)/, 15_000);
    child.stdout?.resume();
    return { url: `http://127.0.0.1:${m[1]}/data`, child };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

const rate = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

/** MB/s of MD5 followed by SHA-512 over 256 MiB of 64 KiB chunks: what the upload path must compute per byte. */
function hashingCeiling(): number {
  const chunk = randomBytes(64 * 1024);
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 4096; i++) { md5.update(chunk); sha512.update(chunk); }
  md5.digest();
  sha512.digest();
  return rate(4096 * chunk.length, Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function main(args: string[]): Promise<void> {
  const s = settings(args);
  const bytes = s.mb * MiB;
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-image-'));
  const file = join(dir, 'image.raw');
  const load: number[][] = [];
  try {
    process.stdout.write(`generating ${s.mb} MiB of pseudo-random data in ${file}…\n`);
    const expectedMd5 = generate(file, s.mb);
    load.push(loadavg());

    // The floor first: curl against a bare node:http server, same file, same machine.
    const floor = await startDataFloor(file);
    let floorUp: Transfer, floorDurableUp: Transfer, floorDown: Transfer;
    try {
      const upSpeed = await curl(['-T', file, '-o', '/dev/null', '-w', '%{speed_upload}', floor.url]);
      const durableSpeed = await curl(['-T', file, '-o', '/dev/null', '-w', '%{speed_upload}', `${floor.url}?write=1`]);
      const downSpeed = await curl(['-o', '/dev/null', '-w', '%{speed_download}', floor.url]);
      floorUp = { mbPerSecond: upSpeed / 1e6, seconds: bytes / upSpeed };
      floorDurableUp = { mbPerSecond: durableSpeed / 1e6, seconds: bytes / durableSpeed };
      floorDown = { mbPerSecond: downSpeed / 1e6, seconds: bytes / downSpeed };
    } finally {
      await stopChild(floor.child);
    }
    process.stdout.write(`floor (curl ↔ bare node:http): upload ${floorUp.mbPerSecond.toFixed(0)} MB/s (${floorDurableUp.mbPerSecond.toFixed(0)} MB/s writing and fsyncing a file), download ${floorDown.mbPerSecond.toFixed(0)} MB/s\n`);
    load.push(loadavg());

    const imagePort = await freePort();
    // Every API on a free port, so a cloud already running on this machine (on the default ports) does not stop the run.
    const otherPorts: Record<string, string> = {};
    for (const section of ['PLACEMENT', 'COMPUTE', 'NETWORK', 'BLOCK_STORAGE', 'OBJECT_STORAGE']) otherPorts[`STRATUS_${section}_PORT`] = String(await freePort());
    for (const port of ['NOVNCPROXY_PORT', 'SERIALPROXY_PORT', 'METADATA_PORT']) otherPorts[`STRATUS_COMPUTE_${port}`] = String(await freePort());
    const stratus = await startStratus({ env: {
      ...otherPorts, STRATUS_IMAGE_PORT: String(imagePort), STRATUS_IMAGE_IMAGE_SIZE_CAP: String(Math.max(bytes * 2, 1099511627776)),
    } });
    let up: Transfer, down: Transfer, hashedDown: Transfer;
    let checksum: string;
    try {
      const token = await issueToken(stratus.url, stratus.admin);
      const base = `http://127.0.0.1:${imagePort}`;
      const created = await send(`${base}/v2/images`, {
        method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'bench-image', disk_format: 'raw', container_format: 'bare' }),
      });
      const createdText = await readAll(created);
      if (created.statusCode !== 201) throw new Error(`image create: ${created.statusCode} ${createdText}`);
      const id = (JSON.parse(createdText) as { id: string }).id;

      // Upload with curl, exactly as against the floor: the same client both sides, so the ratio is the server's.
      const auth = ['-H', `X-Auth-Token: ${token}`];
      const settled = await waitForSteadyRss(stratus.pid);
      process.stdout.write(`stratus RSS steady after ${settled.toFixed(1)} s; upload starts\n`);
      let rss = sampleRss(stratus.pid);
      const upSpeed = await curl([...auth, '-H', 'Content-Type: application/octet-stream', '-T', file, '-w', '%{speed_upload}', `${base}/v2/images/${id}/file`]);
      up = { mbPerSecond: upSpeed / 1e6, seconds: bytes / upSpeed, rssGrowthMiB: rss.stop() };
      load.push(loadavg());

      const shown = await send(`${base}/v2/images/${id}`, { method: 'GET', headers: { 'X-Auth-Token': token } });
      const image = JSON.parse(await readAll(shown)) as { status: string; size: number; checksum: string };
      if (image.status !== 'active' || image.size !== bytes) throw new Error(`after upload: status ${image.status}, size ${image.size}`);
      if (image.checksum !== expectedMd5) throw new Error(`image checksum ${image.checksum} is not the file's MD5 ${expectedMd5}`);
      checksum = image.checksum;

      await waitForSteadyRss(stratus.pid);
      rss = sampleRss(stratus.pid);
      const downSpeed = await curl([...auth, '-o', '/dev/null', '-w', '%{speed_download}', `${base}/v2/images/${id}/file`]);
      down = { mbPerSecond: downSpeed / 1e6, seconds: bytes / downSpeed, rssGrowthMiB: rss.stop() };
      load.push(loadavg());

      // Then a streaming download in Node that hashes every byte: the data itself is checked, not only the record.
      await waitForSteadyRss(stratus.pid);
      rss = sampleRss(stratus.pid);
      const t0 = process.hrtime.bigint();
      const got = await send(`${base}/v2/images/${id}/file`, { method: 'GET', headers: { 'X-Auth-Token': token } });
      if (got.statusCode !== 200) throw new Error(`download: ${got.statusCode} ${await readAll(got)}`);
      const md5 = createHash('md5');
      let received = 0;
      for await (const chunk of got as AsyncIterable<Buffer>) {
        md5.update(chunk);
        received += chunk.length;
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      hashedDown = { mbPerSecond: rate(bytes, seconds), seconds, rssGrowthMiB: rss.stop() };
      const downloaded = md5.digest('hex');
      if (received !== bytes || downloaded !== checksum) throw new Error(`download: ${received} bytes, MD5 ${downloaded}; expected ${bytes}, ${checksum}`);
      if (got.headers['content-md5'] !== checksum) throw new Error(`download: Content-MD5 ${String(got.headers['content-md5'])} is not ${checksum}`);
      load.push(loadavg());
    } finally {
      await stratus.stop();
    }

    const hashCeiling = hashingCeiling();
    const upRatio = up.mbPerSecond / floorUp.mbPerSecond;
    const downRatio = down.mbPerSecond / floorDown.mbPerSecond;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    const lines = [
      '',
      `Image data, ${s.mb} MiB raw, loopback; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${load.map((l) => l[0].toFixed(2)).join(' → ')}`,
      `MD5 ${checksum} verified: image checksum = file MD5 = downloaded bytes' MD5 = Content-MD5`,
      '',
      '| direction (curl both sides) | curl ↔ Stratus MB/s | curl ↔ bare node:http MB/s | ratio (target ≥ 0.70) | Stratus peak RSS growth (target < 64 MiB) |',
      '|---|---|---|---|---|',
      `| upload (curl -T, PUT /file) | ${up.mbPerSecond.toFixed(0)} (${up.seconds.toFixed(2)} s) | ${floorUp.mbPerSecond.toFixed(0)} | ${upRatio.toFixed(2)} — ${verdict(upRatio >= TARGET_RATIO)} | ${up.rssGrowthMiB!.toFixed(1)} MiB — ${verdict(up.rssGrowthMiB! < TARGET_RSS_MIB)} |`,
      `| download (curl -o /dev/null, GET /file) | ${down.mbPerSecond.toFixed(0)} (${down.seconds.toFixed(2)} s) | ${floorDown.mbPerSecond.toFixed(0)} | ${downRatio.toFixed(2)} — ${verdict(downRatio >= TARGET_RATIO)} | ${down.rssGrowthMiB!.toFixed(1)} MiB — ${verdict(down.rssGrowthMiB! < TARGET_RSS_MIB)} |`,
      '',
      `Upload against the durable floor (bare node:http writing the bytes to a file and fsyncing it): ${floorDurableUp.mbPerSecond.toFixed(0)} MB/s; Stratus ÷ that: ${(up.mbPerSecond / floorDurableUp.mbPerSecond).toFixed(2)}`,
      `Node client downloading and hashing (MD5) every byte: ${hashedDown.mbPerSecond.toFixed(0)} MB/s (${hashedDown.seconds.toFixed(2)} s), Stratus RSS growth ${hashedDown.rssGrowthMiB!.toFixed(1)} MiB`,
      `Upload ceiling from hashing alone (MD5 then SHA-512 of every byte on one thread, measured here): ${hashCeiling.toFixed(0)} MB/s`,
      '',
    ];
    process.stdout.write(lines.join('\n'));

    mkdirSync(s.resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const out = join(s.resultsDir, `image-${stamp}.json`);
    let commit: string | undefined;
    try { commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { commit = undefined; }
    writeFileSync(out, JSON.stringify({
      date: new Date().toISOString(), mb: s.mb, bytes, commit, node: process.version, cores: cpus().length, loadavg: load,
      checksum, floor: { upload: floorUp, durableUpload: floorDurableUp, download: floorDown }, stratus: { upload: up, download: down, hashedDownload: hashedDown }, hashCeiling,
      ratios: { upload: upRatio, download: downRatio },
    }, null, 2));
    process.stdout.write(`results: ${out}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
