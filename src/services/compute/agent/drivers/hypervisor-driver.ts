// The contract between a compute agent and its hypervisor. Calls take one options object; optional features are
// optional members. Every call is idempotent where OpenStack's manager may retry it, and spawn cleans up after itself
// when it fails.
import type { Readable } from 'node:stream';
import type { InstanceDiagnostics } from '../../domain/instance-diagnostics.ts';
import type { DiskOffer } from '../../domain/disk-offer.ts';

export type { DiskOffer, OfferedFile } from '../../domain/disk-offer.ts';

export interface GuestSpec {
  uuid: string;
  name: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  ephemeralGb: number;
  swapMb: number;
  /** The ephemeral disk's file system when a local blank mapping asked for one (default ext4). */
  ephemeralFormat?: string;
  /** The image the root disk comes from (its Image service id and what Image said about it). */
  image: { id: string; diskFormat: string | null; size: number | null; properties: Record<string, unknown> } | null;
  /** One entry per port, in order: what to plug and with which MAC. */
  nics: { portId: string; macAddress: string; vifType: string; vifDetails: Record<string, unknown>; devName?: string }[];
  keyData: string | null;
  userData: string | null;
  metadata: Record<string, string>;
}

/** The root disk's source: what Image said about the image, and its bytes streamed with the requesting user's token. */
export interface ImageSource {
  id: string;
  diskFormat: string | null;
  size: number | null;
  /** What Image reported, for verifying the download: MD5 `checksum` and the multihash. */
  checksum: string | null;
  hashAlgo: string | null;
  hashValue: string | null;
  /** Streams the image's data from Image (rejects when Image cannot serve it). */
  open(): Promise<Readable>;
}

/** A rescue disk's source: the image's data and its properties (hw_rescue_device, hw_rescue_bus). */
export interface RescueImage extends ImageSource {
  properties: Record<string, unknown>;
}

/** What a driver reports of a running guest for the diagnostics API. */
export type GuestDiagnostics = Omit<InstanceDiagnostics, 'configDrive'>;

/** A Block Storage volume the guest gets at spawn (boot from volume): the root disk when bootIndex is 0. */
export interface BlockDevice {
  volumeId: string;
  /** Block Storage's connection info for this host (the file driver's `{driver_volume_type: 'file', data: {path, format}}`). */
  connectionInfo: Record<string, unknown>;
  /** 0 for the boot disk, 1… for later boot devices, null when the guest does not boot from it. */
  bootIndex: number | null;
  device: string;
}

/** A config drive's files: path inside the `config-2` ISO (e.g. `openstack/latest/meta_data.json`) → content. */
export type ConfigDriveFiles = Record<string, string | Buffer>;

export interface NodeCapacity {
  hypervisorType: string;
  hypervisorVersion: number;
  /** The node's name, Nova's hypervisor_hostname. */
  nodeName: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  hostIp: string;
}

export type GuestPower = 'running' | 'paused' | 'shutdown' | 'suspended' | 'crashed';

export interface HypervisorDriver {
  readonly type: string;
  /** What the node offers, reported to Placement and the hypervisors API. */
  capacity(): Promise<NodeCapacity>;
  /**
   * Creates and starts the guest: its root disk from `image`, or the volume of `blockDevices` with boot index 0 (boot
   * from volume; the other block devices are plugged too), a config drive when `configDrive` is given.
   */
  spawn(opts: { guest: GuestSpec; image?: ImageSource; configDrive?: ConfigDriveFiles; blockDevices?: BlockDevice[]; signal?: AbortSignal }): Promise<void>;
  /** Removes the guest and everything it left on the host; no error when it is already gone. */
  destroy(opts: { uuid: string }): Promise<void>;
  /**
   * Resize, on the source host: powers the guest off and keeps its disks aside, for the destination to take over and
   * for a revert to bring back. Refuses (before touching the guest) a destination it cannot hand its disks to, or a
   * root disk (`rootGb` of the new flavor) smaller than the guest's. A driver that hands disks to another host
   * returns the offer the destination pulls them from (it travels in finish_resize).
   */
  migrateDiskAndPowerOff(opts: { uuid: string; destHost: string; rootGb: number }): Promise<DiskOffer | void>;
  /**
   * Resize, on the destination: the guest from the kept disks with `guest`'s (new) flavor, the root disk grown to it;
   * from another host, the disks are pulled from `offer` and the root disk's base fetched from `image` into the cache.
   */
  finishMigration(opts: { guest: GuestSpec; powerOn: boolean; offer?: DiskOffer; image?: ImageSource }): Promise<void>;
  /** Confirm, on the source: drops the disks kept aside. Idempotent. */
  confirmMigration(opts: { uuid: string }): Promise<void>;
  /** Revert, on the source (the destination's guest destroyed first): the guest back from the kept disks with `guest`'s flavor. */
  finishRevertMigration(opts: { guest: GuestSpec; powerOn: boolean }): Promise<void>;
  /**
   * Live migration, on the destination (optional feature; a driver without it refuses live migrations before anything
   * moves): gets ready to receive the running guest `guest` (its ports already bound here).
   */
  preLiveMigration?(opts: { guest: GuestSpec }): Promise<void>;
  /** Live migration, on the source: moves the running guest to `destHost`, which preLiveMigration readied; it is gone here after. */
  liveMigrate?(opts: { uuid: string; destHost: string }): Promise<void>;
  /** Live migration, on the destination after the move: the guest runs here. */
  postLiveMigrationAtDestination?(opts: { uuid: string }): Promise<void>;
  powerOff(opts: { uuid: string; timeoutMs?: number }): Promise<void>;
  powerOn(opts: { uuid: string }): Promise<void>;
  reboot(opts: { uuid: string; hard: boolean }): Promise<void>;
  pause?(opts: { uuid: string }): Promise<void>;
  unpause?(opts: { uuid: string }): Promise<void>;
  suspend?(opts: { uuid: string }): Promise<void>;
  resume?(opts: { uuid: string }): Promise<void>;
  /** Hot-plugs a volume (Block Storage's connection info) at `device`; optional feature. */
  attachVolume?(opts: { uuid: string; volumeId: string; device: string; connectionInfo: Record<string, unknown> }): Promise<void>;
  /** Makes a plugged volume's new size (bytes) visible to the guest, after Block Storage grew it; optional feature. */
  extendVolume?(opts: { uuid: string; volumeId: string; sizeBytes: number }): Promise<void>;
  /** Unplugs a volume; no error when it is not attached. */
  detachVolume?(opts: { uuid: string; volumeId: string }): Promise<void>;
  /**
   * Hot-plugs a NIC (a port already bound to this host) into the guest, or records it for the next start when the
   * guest is stopped; a later power-on or agent restart keeps it. Idempotent; leaves nothing plugged when it fails.
   */
  attachInterface?(opts: { uuid: string; nic: GuestSpec['nics'][number] }): Promise<void>;
  /** Unplugs the NIC of `portId`; no error when it is not plugged. */
  detachInterface?(opts: { uuid: string; portId: string }): Promise<void>;
  /**
   * Copies the guest's root disk (running or not) and hands it to `upload` with its format; the driver removes its
   * temporary copy afterwards, whether the upload worked or not.
   */
  snapshot?(opts: { uuid: string; upload(data: Readable, format: { diskFormat: string; containerFormat: string }): Promise<void> }): Promise<void>;
  /**
   * Rescue: stops the guest and boots it from a fresh disk of `image` as its first disk, its own root disk attached
   * second (with every original device and the rescue disk last when the image sets hw_rescue_device and
   * hw_rescue_bus: Nova's stable device rescue). `configDrive` replaces the guest's config drive while rescued (it
   * carries `rescuePassword` as meta_data.json's admin_pass). Rescuing a rescued guest starts a fresh rescue; a failed
   * rescue leaves no rescue disk behind.
   */
  rescue?(opts: { uuid: string; image: RescueImage; rescuePassword: string; configDrive?: ConfigDriveFiles }): Promise<void>;
  /** Unrescue: stops the rescue guest, removes the rescue disk and boots the guest's own disk again. Idempotent. */
  unrescue?(opts: { uuid: string }): Promise<void>;
  /**
   * A running guest's counters; a Conflict when it is not running. The agent adds what the server's record knows
   * (whether it has a config drive) and, when the driver gives no uptime, the time since the server was launched.
   */
  diagnostics?(opts: { uuid: string }): Promise<GuestDiagnostics>;
  /** The guest's serial console log so far. */
  consoleOutput?(opts: { uuid: string }): Promise<string>;
  /** The unix socket of a guest's graphical (VNC) or serial console on this host, for the console proxy; undefined when it has none. */
  consoleSocket?(opts: { uuid: string; kind: 'vnc' | 'serial' }): Promise<string | undefined>;
  /** The power state of a guest; undefined when the hypervisor does not know it. */
  powerState(opts: { uuid: string }): Promise<GuestPower | undefined>;
  /** Every guest the hypervisor runs, for the agent's start-up sync. */
  listGuests(): Promise<string[]>;
  /**
   * Lifecycle events: calls `listener` when a guest stopped without the driver being asked (it powered itself off or
   * was killed), so the agent syncs its power state at once instead of at the next periodic sync. Returns the unsubscribe.
   */
  watchLifecycle?(listener: (uuid: string) => void): () => void;
  /** Releases what the driver holds open (sockets, timers); guests keep running. */
  close?(): Promise<void>;
}
