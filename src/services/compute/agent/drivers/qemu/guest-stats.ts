// Diagnostics of a running qemu guest, read where the host keeps them: QMP query-blockstats for its disks,
// query-cpus-fast plus /proc/<pid>/task/<thread>/stat for each vCPU's CPU time, the taps' /sys/class/net statistics
// (turned round to the guest's view: what the tap sent, the guest received), RSS for the memory it uses, and the
// process's start time for its uptime.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Conflict, NotFound } from '#lib/errors.ts';
import type { GuestDiagnostics, GuestSpec } from '../hypervisor-driver.ts';
import { readGuestRecord } from './guest-dir.ts';
import type { GuestHost } from './guest-host.ts';
import { guestPid } from './guest-process.ts';
import { powerFromStatus } from './power-ops.ts';
import type { Accel } from './qemu-command.ts';
import { tapOf } from './qemu-command.ts';

interface BlockStats {
  device?: string;
  qdev?: string;
  'node-name'?: string;
  stats: Record<string, number>;
}

let clockTicks: Promise<number> | undefined;
/** The kernel's clock ticks per second (USER_HZ) that /proc times are counted in. */
function ticksPerSecond(): Promise<number> {
  clockTicks ??= new Promise((done) => {
    execFile('getconf', ['CLK_TCK'], (err, stdout) => {
      const n = Number(String(stdout).trim());
      done(!err && Number.isInteger(n) && n > 0 ? n : 100);
    });
  });
  return clockTicks;
}

/** The fields of a /proc stat line from field 3 (state) on: the command name in parentheses may hold spaces. */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(/\s+/);
}

/** utime + stime (fields 14 and 15) of a /proc stat line, in clock ticks. */
export const cpuTicks = (stat: string): number => {
  const f = statFields(stat);
  return Number(f[11]) + Number(f[12]);
};

/** The device a blockstats entry belongs to: its qdev's peripheral id (root, eph0, config, vol-…), else its node. */
export function diskName(entry: BlockStats): string {
  const id = /^\/machine\/peripheral\/([^/]+)/.exec(entry.qdev ?? '')?.[1];
  return id ?? (entry.device || entry['node-name'] || 'unknown');
}

async function readCounter(path: string): Promise<number | null> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  const n = Number(text?.trim());
  return text === undefined || !Number.isFinite(n) ? null : n;
}

/** A NIC's counters from its tap, as the guest sees them (the tap's tx is the guest's rx). */
export async function nicStats(nic: GuestSpec['nics'][number]): Promise<GuestDiagnostics['nics'][number]> {
  const tap = tapOf(nic);
  const c = (name: string) => readCounter(`/sys/class/net/${tap}/statistics/${name}`);
  const [rxOctets, rxPackets, rxErrors, rxDrop, txOctets, txPackets, txErrors, txDrop] = await Promise.all([
    c('tx_bytes'), c('tx_packets'), c('tx_errors'), c('tx_dropped'), c('rx_bytes'), c('rx_packets'), c('rx_errors'), c('rx_dropped'),
  ]);
  return { id: tap, macAddress: nic.macAddress.toLowerCase(), rxOctets, rxErrors, rxDrop, rxPackets, rxRate: null, txOctets, txErrors, txDrop, txPackets, txRate: null };
}

/** The diagnostics of a running guest; NotFound for an unknown guest, Conflict when its QEMU does not run. */
export function guestStats(host: GuestHost, uuid: string, accel: Accel): Promise<GuestDiagnostics> {
  return host.serialized(uuid, async () => {
    const paths = host.paths(uuid);
    const record = await readGuestRecord(paths);
    if (!record) throw new NotFound(`Instance ${uuid} could not be found on this hypervisor.`);
    const pid = await guestPid(paths, uuid);
    if (!pid) throw new Conflict(`Instance ${uuid} is not running.`);
    const { status, cpus, blocks } = await host.withQmp(uuid, async (q) => ({
      status: (await q.execute<{ status: string }>('query-status')).status,
      cpus: await q.execute<{ 'cpu-index': number; 'thread-id': number }[]>('query-cpus-fast'),
      blocks: await q.execute<BlockStats[]>('query-blockstats'),
    }));
    const tick = 1e9 / await ticksPerSecond();
    // vCPUs sharing one thread (single-threaded TCG) cannot be told apart: their time is unknown, not guessed.
    const threads = cpus.map((c) => c['thread-id']);
    const cpuDetails = await Promise.all(cpus.map(async (c) => {
      const shared = threads.filter((t) => t === c['thread-id']).length > 1;
      const stat = shared ? '' : await readFile(`/proc/${pid}/task/${c['thread-id']}/stat`, 'utf8').catch(() => '');
      return { id: c['cpu-index'], timeNs: stat ? Math.round(cpuTicks(stat) * tick) : null, utilisation: null };
    }));
    const [procStat, status2, uptimeText] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8'), readFile('/proc/uptime', 'utf8'),
    ]);
    const startedTicks = Number(statFields(procStat)[19]);
    const rssKib = /^VmRSS:\s+(\d+) kB$/m.exec(status2)?.[1];
    return {
      state: powerFromStatus(status),
      hypervisor: accel === 'kvm' ? 'kvm' : 'qemu',
      hypervisorOs: 'linux',
      uptime: Math.max(0, Math.floor(Number(uptimeText.split(' ')[0]) - startedTicks / await ticksPerSecond())),
      cpus: cpuDetails.sort((a, b) => a.id - b.id),
      nics: await Promise.all(record.spec.nics.map(nicStats)),
      disks: blocks.map((b) => ({
        id: diskName(b), readBytes: b.stats.rd_bytes ?? null, readRequests: b.stats.rd_operations ?? null, writeBytes: b.stats.wr_bytes ?? null,
        writeRequests: b.stats.wr_operations ?? null,
        errorsCount: (b.stats.failed_rd_operations ?? 0) + (b.stats.failed_wr_operations ?? 0) + (b.stats.failed_flush_operations ?? 0),
      })),
      memory: { maximumKib: record.spec.memoryMb * 1024, usedKib: rssKib ? Number(rssKib) : null },
    };
  });
}
