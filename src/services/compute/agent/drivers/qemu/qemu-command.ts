// The qemu-system-x86_64 command line of a guest, built from its record alone (pure), so a guest started again after
// a stop, a suspend or an agent restart gets exactly the same virtual hardware.
//
// Machine `pc` (i440FX), not q35: its PCI root bus takes hot-plugged virtio-blk devices directly, where q35 would need
// spare pcie-root-ports reserved up front for every volume a guest might get.
import type { GuestPaths, GuestRecord, PluggedVolume } from './guest-dir.ts';
import type { GuestSpec } from '../hypervisor-driver.ts';

export type Accel = 'kvm' | 'tcg';

export interface QemuLaunch {
  record: GuestRecord;
  paths: GuestPaths;
  accel: Accel;
  /** Start paused, waiting for the saved RAM state in paths.memoryState (resume). */
  incoming?: boolean;
}

const TAP = /^[A-Za-z0-9_.-]{1,15}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const VOLUME_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
/** Characters a path may have to be safe inside the shell command of `exec:` migration URIs. */
const SHELL_SAFE_PATH = /^[A-Za-z0-9_./+-]+$/;

/** QEMU's key=value option syntax doubles a comma inside a value. */
const opt = (value: string) => value.replaceAll(',', ',,');

/** The tap device a NIC plugs into (the network agent names it in the port's binding:vif_details). */
export function tapOf(nic: GuestSpec['nics'][number]): string {
  if (nic.vifType !== 'bridge') throw new Error(`port ${nic.portId} has VIF type '${nic.vifType}'; the qemu driver plugs only 'bridge' ports (is the port bound to this host?)`);
  const tap = typeof nic.vifDetails.tap_name === 'string' ? nic.vifDetails.tap_name : nic.devName;
  if (!tap || !TAP.test(tap)) throw new Error(`port ${nic.portId} names no valid tap device in binding:vif_details.tap_name`);
  if (!MAC.test(nic.macAddress)) throw new Error(`port ${nic.portId} has an invalid MAC address '${nic.macAddress}'`);
  return tap;
}

/** QEMU node names are at most 31 characters: `vol` and the volume id's first 28 hex digits. */
export function volumeNodeName(volumeId: string): string {
  if (!VOLUME_ID.test(volumeId)) throw new Error(`'${volumeId}' is not a volume id`);
  return `vol${volumeId.replaceAll('-', '').slice(0, 28)}`;
}

/** The guest-visible device id of a volume; its serial is the volume id's first 20 characters, as Nova sets it. */
export const volumeDeviceId = (volumeId: string) => `vol-${volumeId}`;

/** The -blockdev JSON of a file in `format` (JSON, so no path needs QEMU's comma escaping). */
export function blockdev(nodeName: string, path: string, format: string, readOnly = false): Record<string, unknown> {
  return { driver: format, 'node-name': nodeName, 'read-only': readOnly, file: { driver: 'file', filename: path, 'read-only': readOnly } };
}

/** The virtio-blk-pci properties of a plugged volume (the same for -device and QMP device_add). */
export function volumeDevice(v: PluggedVolume): Record<string, string> {
  return { driver: 'virtio-blk-pci', drive: volumeNodeName(v.volumeId), id: volumeDeviceId(v.volumeId), serial: v.volumeId.slice(0, 20) };
}

const device = (props: Record<string, string | number>) => Object.entries(props).map(([k, v], i) => (i === 0 ? String(v) : `${k}=${opt(String(v))}`)).join(',');

/** The shell command QEMU runs to read back a saved RAM state (`exec:` URIs go through /bin/sh). */
export function incomingUri(memoryState: string): string {
  if (!SHELL_SAFE_PATH.test(memoryState)) throw new Error(`the instances path '${memoryState}' has characters a migration command cannot carry`);
  return `exec:cat ${memoryState}`;
}

/**
 * The command that saves RAM state to `memoryState` (QEMU 7.2 has no file: migration URI). The state is written
 * beside it and renamed by the same shell once `cat` has written it all, so the file only exists when complete.
 */
export function outgoingUri(memoryState: string): string {
  if (!SHELL_SAFE_PATH.test(memoryState)) throw new Error(`the instances path '${memoryState}' has characters a migration command cannot carry`);
  return `exec:cat > ${memoryState}.part && mv ${memoryState}.part ${memoryState}`;
}

/** The machine, accelerator and CPU every guest gets — and the KVM probe, so what the probe proves is what guests use. */
export function machineArgs(accel: Accel): string[] {
  return ['-machine', 'pc', '-accel', accel, ...(accel === 'kvm' ? ['-cpu', 'host'] : [])];
}

/** The argv (without the binary) that starts the guest daemonized, its QMP, VNC and serial on unix sockets in its dir. */
export function buildQemuArgv(l: QemuLaunch): string[] {
  const { spec } = l.record;
  const p = l.paths;
  const argv = [
    '-name', `stratus-${spec.uuid}`, '-uuid', spec.uuid,
    '-nodefaults', '-no-user-config', '-display', 'none',
    ...machineArgs(l.accel),
    '-smp', String(spec.vcpus), '-m', String(spec.memoryMb),
    // cloud-init recognises OpenStack by these SMBIOS strings.
    '-smbios', `type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,family=Virtual Machine,serial=${spec.uuid},uuid=${spec.uuid}`,
    '-rtc', 'base=utc',
    '-daemonize', '-pidfile', p.pidfile,
    '-chardev', `socket,id=qmp,path=${opt(p.qmp)},server=on,wait=off`, '-mon', 'chardev=qmp,mode=control',
    '-chardev', `socket,id=serial0,path=${opt(p.serial)},server=on,wait=off,logfile=${opt(p.consoleLog)},logappend=on`,
    '-device', 'isa-serial,chardev=serial0',
    '-device', 'VGA', '-vnc', `unix:${opt(p.vnc)}`,
    '-device', 'piix3-usb-uhci,id=usb', '-device', 'usb-tablet,bus=usb.0',
  ];
  const disk = (node: string, path: string, format: string, extra: Record<string, string | number> = {}, readOnly = false) => {
    argv.push('-blockdev', JSON.stringify(blockdev(node, path, format, readOnly)), '-device', device({ driver: 'virtio-blk-pci', drive: node, id: node, ...extra }));
  };
  // A rescued guest (rescue-disks.ts) boots its rescue disk: first, with only its root disk beside it (Nova's rescue),
  // or last with every original device kept (stable device rescue); its rescue config drive replaces its own.
  const rescue = l.record.rescue;
  const onlyRoot = rescue !== undefined && !rescue.stableDevice;
  if (onlyRoot) disk('rescue', p.rescue, 'qcow2', { bootindex: 0 });
  if (l.record.base) disk('root', p.root, 'qcow2', rescue ? {} : { bootindex: 0 });
  // Boot from volume (boot-volume.ts): the boot volumes take the root disk's place, first on the PCI bus (vda).
  const booting = l.record.volumes.filter((v) => typeof v.bootIndex === 'number').sort((a, b) => a.bootIndex! - b.bootIndex!);
  for (const v of onlyRoot ? [] : booting) {
    argv.push('-blockdev', JSON.stringify(blockdev(volumeNodeName(v.volumeId), v.path, v.format)), '-device', device({ ...volumeDevice(v), ...(rescue ? {} : { bootindex: v.bootIndex! }) }));
  }
  if (l.record.hasEphemeral && !onlyRoot) disk('eph0', p.ephemeral, 'qcow2');
  if (l.record.hasSwap && !onlyRoot) disk('swap', p.swap, 'qcow2');
  // A read-only virtio disk: `blkid -L config-2` finds it with the virtio_blk driver a guest needs for its root anyway.
  if (l.record.hasConfigDrive && !rescue) disk('config', p.configDrive, 'raw', {}, true);
  if (rescue?.hasConfigDrive) disk('config', p.rescueConfigDrive, 'raw', {}, true);
  for (const v of onlyRoot ? [] : l.record.volumes.filter((x) => !booting.includes(x))) {
    argv.push('-blockdev', JSON.stringify(blockdev(volumeNodeName(v.volumeId), v.path, v.format)), '-device', device(volumeDevice(v)));
  }
  if (rescue?.stableDevice) disk('rescue', p.rescue, 'qcow2', { bootindex: 0 });
  spec.nics.forEach((nic, i) => {
    argv.push('-netdev', `tap,id=net${i},ifname=${tapOf(nic)},script=no,downscript=no,vhost=off`,
      '-device', device({ driver: 'virtio-net-pci', netdev: `net${i}`, mac: nic.macAddress.toLowerCase(), id: `nic${i}` }));
  });
  if (l.incoming) argv.push('-S', '-incoming', incomingUri(p.memoryState));
  return argv;
}
