// Chooses KVM or TCG by really booting: a /dev/kvm that exists can still hang or refuse the guest CPU's MSRs (nested or
// broken virtualisation), so the only trustworthy test is a tiny guest, on the machine and CPU real guests get, that
// must print a byte within a few seconds.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '#lib/log.ts';
import { machineArgs } from './qemu-command.ts';
import type { Accel } from './qemu-command.ts';

/** A BIOS boot sector: `mov al,'K'; out 0xe9,al` (the isa-debugcon port), then halts forever. */
function probeSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from([0xb0, 0x4b, 0xe6, 0xe9, 0xfa, 0xf4, 0xeb, 0xfd]).copy(sector);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/**
 * Whether a guest boots under `accel` within `timeoutMs`. The probe process is killed either way; a process stuck in
 * the kernel (a hanging /dev/kvm) is left to die on its own and never holds the agent up.
 */
export async function bootsUnder(accel: Accel, opts: { binary: string; timeoutMs: number }): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-accel-'));
  try {
    const disk = join(dir, 'probe.img');
    await writeFile(disk, probeSector());
    return await new Promise<boolean>((resolve) => {
      const child = spawn(opts.binary, [
        '-nodefaults', '-no-user-config', '-display', 'none', ...machineArgs(accel), '-m', '16',
        '-drive', `file=${disk.replaceAll(',', ',,')},format=raw,if=ide`,
        '-chardev', 'stdio,id=dbg,signal=off', '-device', 'isa-debugcon,chardev=dbg',
      ], { stdio: ['ignore', 'pipe', 'ignore'] });
      child.unref();
      let settled = false;
      const finish = (ok: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.destroy();
        child.kill('SIGKILL');
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), opts.timeoutMs);
      child.stdout.on('data', (b: Buffer) => { if (b.includes(0x4b)) finish(true); });
      child.on('error', () => finish(false));
      child.on('exit', () => finish(false));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The accelerator guests use: `want` when it is kvm or tcg, else KVM if a probe guest boots under it, else TCG. */
export async function chooseAccel(want: 'auto' | Accel, opts: { binary: string; timeoutMs?: number; log: Logger }): Promise<Accel> {
  if (want !== 'auto') {
    opts.log.info({ accel: want }, 'qemu accelerator set by configuration');
    return want;
  }
  const kvm = await bootsUnder('kvm', { binary: opts.binary, timeoutMs: opts.timeoutMs ?? 5000 });
  const accel = kvm ? 'kvm' : 'tcg';
  opts.log.info({ accel }, kvm ? 'KVM works: guests run accelerated' : 'KVM did not boot a probe guest: guests run under TCG (emulation)');
  return accel;
}
