// What the conductor and compute-api cast to one host's agent (topic compute, server = the host's name).
import { defineRpc } from '#lib/bus/index.ts';
import type { InstanceDiagnostics } from '../domain/instance-diagnostics.ts';
import type { DiskOffer } from '../domain/disk-offer.ts';

type Cast<A> = { kind: 'cast'; args: A; result: void };

export type AgentMethods = {
  build_and_run_instance: Cast<{ uuid: string }>;
  terminate_instance: Cast<{ uuid: string }>;
  stop_instance: Cast<{ uuid: string }>;
  start_instance: Cast<{ uuid: string }>;
  reboot_instance: Cast<{ uuid: string; hard: boolean }>;
  pause_instance: Cast<{ uuid: string }>;
  unpause_instance: Cast<{ uuid: string }>;
  suspend_instance: Cast<{ uuid: string }>;
  resume_instance: Cast<{ uuid: string }>;
  attach_volume: Cast<{ uuid: string; volumeId: string; attachmentId: string; device: string }>;
  detach_volume: Cast<{ uuid: string; volumeId: string; attachmentId: string }>;
  /** Block Storage grew an attached volume (volume-extended event): the guest is made to see its new size. */
  extend_volume: Cast<{ uuid: string; volumeId: string }>;
  /**
   * Plugs the user's port, or a new one on `networkId`, into the guest (a call, as in Nova: the API answers with the
   * attached port, or with why it could not be attached).
   */
  attach_interface: { kind: 'call'; args: { uuid: string; portId?: string; networkId?: string; fixedIp?: string; tag?: string }; result: { portId: string } };
  /** Unplugs a port from the guest, then deletes it (compute created it) or unbinds it (the user's). */
  detach_interface: Cast<{ uuid: string; portId: string }>;
  /**
   * Destroys the guest and spawns it again from the server's (new) image. With `migrationUuid` (Nova's recreate), an
   * evacuation: the server is rebuilt on this host, its source host being down (agent/evacuate.ts).
   */
  rebuild_instance: Cast<{ uuid: string; migrationUuid?: string }>;
  /** Resize, on the source host: takes the guest down, then has the destination finish. */
  resize_instance: Cast<{ uuid: string; migrationUuid: string }>;
  /**
   * Resize, on the destination host: spawns the guest with the new flavor; the server waits in VERIFY_RESIZE. From
   * another host, `offer` says where the source's driver offers the guest's disks (and the one-time secret to them).
   */
  finish_resize: Cast<{ uuid: string; migrationUuid: string; offer?: DiskOffer }>;
  /** Confirm, on the source host: cleans what the resize left there and drops the migration's allocation. */
  confirm_resize: Cast<{ uuid: string; migrationUuid: string }>;
  /** Revert, on the destination host: removes the resized guest, then has the source finish. */
  revert_resize: Cast<{ uuid: string; migrationUuid: string }>;
  /** A server deleted in VERIFY_RESIZE after a move to another host: the source drops the disks it kept (and their offer). */
  drop_resize_source: Cast<{ uuid: string }>;
  /** Revert, on the source host: the guest back with the old flavor, and its allocation back from the migration. */
  finish_revert_resize: Cast<{ uuid: string; migrationUuid: string }>;
  /** Live migration, on the source host: drives the whole move (live-migration.ts). */
  live_migration: Cast<{ uuid: string; migrationUuid: string }>;
  /** Live migration, on the destination: ports bound here, the driver ready for the incoming guest. */
  pre_live_migration: { kind: 'call'; args: { uuid: string; migrationUuid: string }; result: void };
  /** Live migration, on the destination after the move: the guest runs here. */
  post_live_migration_at_destination: { kind: 'call'; args: { uuid: string; migrationUuid: string }; result: void };
  /** Live migration failed before the guest left the source: the destination drops its incoming guest. */
  rollback_live_migration_at_destination: { kind: 'call'; args: { uuid: string; migrationUuid: string }; result: void };
  /** Snapshots the guest's root disk into the queued image `imageId` (createImage). */
  snapshot_instance: Cast<{ uuid: string; imageId: string }>;
  /** Shelve: the guest powered off and its root disk snapshotted into `imageId` (null: booted from a volume, no snapshot). */
  shelve_instance: Cast<{ uuid: string; imageId: string | null }>;
  /** Offload a shelved server: the guest destroyed, its ports unbound and volumes disconnected here, its allocation freed. */
  shelve_offload_instance: Cast<{ uuid: string }>;
  /** Unshelve: a shelved guest powered on again, or an offloaded server spawned here from its shelved image. */
  unshelve_instance: Cast<{ uuid: string }>;
  /** The guest's console log (a call: the API answers with it). */
  get_console_output: { kind: 'call'; args: { uuid: string }; result: string };
  /**
   * Where the console proxy reaches the guest's VNC or serial console (BadRequest when there is none): a target of
   * domain/console-target.ts, through this host's console relay with a one-time ticket valid for `ttlMs`.
   */
  get_console_socket: { kind: 'call'; args: { uuid: string; kind: 'vnc' | 'serial'; ttlMs?: number }; result: string };
  /** Rescue: the guest booted from a fresh disk of the rescue image (null: the server's own), its own disk attached second. */
  rescue_instance: Cast<{ uuid: string; rescuePassword: string; rescueImageRef: string | null }>;
  /** Unrescue: the rescue disk removed, the guest booted from its own disk again. */
  unrescue_instance: Cast<{ uuid: string }>;
  /** The running guest's counters (a call: the API answers with them); Conflict when it is not running. */
  get_diagnostics: { kind: 'call'; args: { uuid: string }; result: InstanceDiagnostics };
  /** The host's `uptime` line (os-hypervisors uptime, 2.88's uptime field). */
  get_host_uptime: { kind: 'call'; args: Record<string, never>; result: string };
};

export const agentRpc = defineRpc<AgentMethods>('compute', '1.0');
