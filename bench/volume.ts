// `npm run bench -- volume`: Block Storage through `stratus up` with the file driver (qcow2 through qemu-img): the
// create and delete rate of 1 GiB volumes (BENCH_VOLUMES, default 50, concurrency 4), snapshot create latency
// (BENCH_SNAPSHOTS, default 10), create-from-image MB/s for a BENCH_IMAGE_MB (default 1024) MiB raw image, and the
// backup and restore MB/s of that volume (chunked backups in the file backup store; all of its bytes hold data).
import { cpus, loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { issueToken, startStratus } from './stratus-process.ts';

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
  return v;
};

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function main(args: string[]): Promise<void> {
  if (args.length) throw new Error(`bench volume takes no options (got ${args.join(' ')}); use BENCH_VOLUMES, BENCH_SNAPSHOTS, BENCH_IMAGE_MB`);
  const count = env('BENCH_VOLUMES', 50);
  const snapshots = env('BENCH_SNAPSHOTS', 10);
  const imageMb = env('BENCH_IMAGE_MB', 1024);
  const stratus = await startStratus();
  try {
    const token = await issueToken(stratus.url, stratus.admin);
    const doc = await (await fetch(`${stratus.url}/v3/auth/tokens`, { headers: { 'x-auth-token': token, 'x-subject-token': token } })).json() as {
      token: { project: { id: string }; catalog: { type: string; endpoints: { interface: string; url: string }[] }[] };
    };
    const url = (type: string) => doc.token.catalog.find((s) => s.type === type)!.endpoints.find((e) => e.interface === 'public')!.url;
    const cinder = url('volumev3');
    const glance = url('image');
    const h = { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': 'volume 3.60' };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${cinder}${path}`, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
      return text ? JSON.parse(text) : undefined;
    };
    const waitFor = async (path: string, key: string, want: string[]) => {
      for (;;) {
        const res = await fetch(`${cinder}${path}`, { headers: h });
        if (res.status === 404 && want.includes('gone')) return;
        const status = ((await res.json()) as Record<string, { status: string }>)[key].status;
        if (want.includes(status)) return status;
        if (status.startsWith('error')) throw new Error(`${path} went to ${status}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await call('PUT', `/os-quota-sets/${doc.token.project.id}`, { quota_set: { volumes: -1, gigabytes: -1, snapshots: -1, backups: -1, backup_gigabytes: -1 } });

    // Create and delete rate of 1 GiB volumes, 4 at a time.
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < count) {
        next += 1;
        const v = (await call('POST', '/volumes', { volume: { size: 1 } })).volume;
        await waitFor(`/volumes/${v.id}`, 'volume', ['available']);
        ids.push(v.id);
      }
    }));
    const createSeconds = (performance.now() - t0) / 1000;

    // Snapshot create latency, one at a time on the first volume.
    const snapMs: number[] = [];
    for (let i = 0; i < snapshots; i++) {
      const s0 = performance.now();
      const s = (await call('POST', '/snapshots', { snapshot: { volume_id: ids[0], name: `s${i}` } })).snapshot;
      await waitFor(`/snapshots/${s.id}`, 'snapshot', ['available']);
      snapMs.push(performance.now() - s0);
      await call('DELETE', `/snapshots/${s.id}`);
      await waitFor(`/snapshots/${s.id}`, 'snapshot', ['gone']);
    }

    const d0 = performance.now();
    let nextDel = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (nextDel < ids.length) {
        const id = ids[nextDel++];
        await call('DELETE', `/volumes/${id}`);
        await waitFor(`/volumes/${id}`, 'volume', ['gone']);
      }
    }));
    const deleteSeconds = (performance.now() - d0) / 1000;

    // Create from a raw image of imageMb MiB (pseudo-random, so neither side can skip zeros).
    const img = await (await fetch(`${glance}/v2/images`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }) })).json() as { id: string };
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
    const stream = Readable.toWeb(Readable.from((function* () { for (let i = 0; i < imageMb; i++) yield chunk; })()));
    const up = await fetch(`${glance}/v2/images/${img.id}/file`, { method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, body: stream, duplex: 'half' } as RequestInit);
    if (up.status !== 204) throw new Error(`image upload: ${up.status}`);
    const sizeGb = Math.ceil(imageMb / 1024);
    const f0 = performance.now();
    const fromImage = (await call('POST', '/volumes', { volume: { size: sizeGb, imageRef: img.id } })).volume;
    await waitFor(`/volumes/${fromImage.id}`, 'volume', ['available']);
    const fromImageSeconds = (performance.now() - f0) / 1000;

    // Backup of that volume (every block holds data), then its restore into a new volume.
    const b0 = performance.now();
    const backup = (await call('POST', '/backups', { backup: { volume_id: fromImage.id, name: 'bench' } })).backup;
    await waitFor(`/backups/${backup.id}`, 'backup', ['available']);
    const backupSeconds = (performance.now() - b0) / 1000;
    const r0 = performance.now();
    const restored = (await call('POST', `/backups/${backup.id}/restore`, { restore: { name: 'bench-restore' } })).restore;
    await waitFor(`/volumes/${restored.volume_id}`, 'volume', ['available']);
    const restoreSeconds = (performance.now() - r0) / 1000;

    snapMs.sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({
      volumes: count, createPerSecond: Number((count / createSeconds).toFixed(1)), deletePerSecond: Number((count / deleteSeconds).toFixed(1)),
      snapshotP50Ms: Math.round(pct(snapMs, 50)), snapshotMaxMs: Math.round(snapMs.at(-1)!),
      imageMb, createFromImageMBps: Number((imageMb / fromImageSeconds).toFixed(1)),
      backupMBps: Number((imageMb / backupSeconds).toFixed(1)), restoreMBps: Number((imageMb / restoreSeconds).toFixed(1)), cpus: cpus().length, load: loadavg().map((l) => l.toFixed(2)).join(' '),
    }, null, 2)}\n`);
  } finally {
    await stratus.stop();
  }
}
