// What the real-QEMU driver tests share: a tiny guest that needs no OS (a boot sector that prints a line on COM1),
// and the check for the host tools a suite needs (a failure under STRATUS_REQUIRE_SERVERS=1, else a skip reason).
import { execFileSync } from 'node:child_process';
import { requireServers } from '#lib/test-servers.ts';

/** The host's PATH with the sbin directories, where mkfs, mkswap and blkid live. */
export const SBIN_ENV = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` };

/**
 * A 1 MiB raw disk whose boot sector prints `line` on COM1 (0x3f8), then halts for good; with `ejectOnUnplug` it
 * loops instead, on each timer tick copying the PCI hotplug "down" register (0xae04) to the eject register (0xae08)
 * as an OS's ACPI _EJ0 method would, so device_del completes.
 */
export function bootSectorDisk(line: string, opts: { ejectOnUnplug?: boolean } = {}): Buffer {
  const print = [
    0x31, 0xc0, 0x8e, 0xd8, 0xfc, // xor ax,ax; mov ds,ax; cld
    0xbe, 0x00, 0x00, 0xba, 0xf8, 0x03, // mov si,msg (patched below); mov dx,0x3f8
    0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, // print: lodsb; test al,al; jz next; out dx,al; jmp print
  ];
  const tail = opts.ejectOnUnplug ? [
    0xfb, 0xba, 0x04, 0xae, 0x66, 0xed, 0x66, 0x85, 0xc0, 0x74, 0x05, // idle: sti; mov dx,0xae04; in eax,dx; test eax,eax; jz halt
    0xba, 0x08, 0xae, 0x66, 0xef, // mov dx,0xae08; out dx,eax
    0xf4, 0xeb, 0xee, // halt: hlt; jmp idle+1
  ] : [
    0xf4, 0xeb, 0xfd, // halt: hlt; jmp halt
  ];
  const code = Buffer.from([...print, ...tail]);
  code.writeUInt16LE(0x7c00 + code.length, 6); // the message follows the code, loaded at 0x7c00
  const disk = Buffer.alloc(1024 * 1024);
  code.copy(disk);
  Buffer.from(`${line}\r\n\0`).copy(disk, code.length);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  return disk;
}

/**
 * Undefined when every `[command, version flag]` runs (and root is there when `root` says why it is needed), else why
 * the suite skips; throws under STRATUS_REQUIRE_SERVERS=1.
 */
export function qemuSuiteSkipReason(suite: string, tools: [string, string][], packages: string, opts: { root?: string } = {}): string | undefined {
  let reason: string | undefined;
  try {
    for (const [cmd, flag] of tools) execFileSync(cmd, [flag], { stdio: 'ignore', env: SBIN_ENV });
  } catch {
    reason = `${tools.map(([c]) => c).join(', ')} are needed (Debian packages ${packages})`;
  }
  if (!reason && opts.root && process.getuid?.() !== 0) reason = opts.root;
  if (reason && requireServers) throw new Error(`the ${suite} is required (STRATUS_REQUIRE_SERVERS=1): ${reason}`);
  return reason && `${reason}; set STRATUS_REQUIRE_SERVERS=1 to make this a failure`;
}

export const QEMU_TOOLS: [string, string][] = [['qemu-system-x86_64', '--version'], ['qemu-img', '--version']];
