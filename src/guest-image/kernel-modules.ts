// Picks the kernel modules the guest loads (with everything they depend on, read from each module's .modinfo) out of
// the unpacked kernel package, and writes the modules.dep busybox's modprobe reads, so no depmod runs on the host.
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { moduleInfo } from './elf.ts';

/**
 * What the guest needs beyond the built-in drivers of Debian's cloud kernel: virtio NIC and disks (hot-plugged ones
 * too), the config drive as a virtio disk or an IDE/SCSI CD-ROM with ISO 9660 (isofs), and the ACPI power button as
 * an input device that busybox acpid reads. The cloud kernel has no AHCI driver: a config drive CD-ROM needs the pc
 * machine's IDE bus (or virtio), not q35's SATA.
 */
export const GUEST_MODULES = [
  'virtio_pci', 'virtio_net', 'virtio_blk', 'virtio_scsi', 'virtio_balloon', 'virtio_rng',
  'ata_piix', 'sd_mod', 'sr_mod', 'isofs', 'button', 'evdev',
] as const;

export interface ModuleSet {
  /** Paths relative to /lib/modules/<version>, dependencies before their users. */
  files: { path: string; data: Buffer }[];
  /** The modules.dep text for those files. */
  modulesDep: string;
}

const normalise = (name: string) => name.replace(/-/g, '_');

/** Collects `wanted` and their dependencies from `<kernelRoot>/lib/modules/<version>`; throws on a missing module. */
export function collectModules(kernelRoot: string, version: string, wanted: readonly string[]): ModuleSet {
  const base = join(kernelRoot, 'lib', 'modules', version);
  const byName = new Map<string, string>();
  for (const file of globSync('kernel/**/*.ko', { cwd: base })) byName.set(normalise(file.split('/').at(-1)!.slice(0, -3)), file);
  const ordered: { name: string; path: string; data: Buffer; deps: string[] }[] = [];
  const seen = new Set<string>();
  const visit = (name: string, chain: string[]) => {
    const key = normalise(name);
    if (seen.has(key)) return;
    const path = byName.get(key);
    if (!path) throw new Error(`kernel ${version} has no module ${key}${chain.length ? ` (needed by ${chain.join(' → ')})` : ''}`);
    seen.add(key);
    const data = readFileSync(join(base, path));
    const deps = (moduleInfo(data).get('depends')?.[0] ?? '').split(',').filter(Boolean).map(normalise);
    for (const dep of deps) visit(dep, [...chain, key]);
    ordered.push({ name: key, path, data, deps });
  };
  for (const name of wanted) visit(name, []);
  // modules.dep lists a module's whole dependency closure ordered so that modprobe, loading from the end, meets
  // every module after what it needs: the reverse of `ordered` (which has dependencies before their users).
  const closure = (name: string, acc = new Set<string>()): Set<string> => {
    for (const dep of ordered.find((m) => m.name === name)!.deps) {
      if (!acc.has(dep)) { acc.add(dep); closure(dep, acc); }
    }
    return acc;
  };
  const modulesDep = ordered.map((m) => {
    const deps = closure(m.name);
    return `${m.path}:${ordered.filter((d) => deps.has(d.name)).reverse().map((d) => ` ${d.path}`).join('')}\n`;
  }).join('');
  return { files: ordered.map((m) => ({ path: m.path, data: m.data })), modulesDep };
}
