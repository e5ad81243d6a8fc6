// What compute-api and the agents ask of the conductor (topic compute-conductor). Agents never touch the database:
// every read and write of theirs is one of these calls, as in Nova.
import { defineRpc } from '#lib/bus/index.ts';
import type { Instance } from '../domain/instance.ts';
import type { InstancePatchArgs } from './instance-patch.ts';
import type { BlockDeviceRecord } from './block-device.ts';
import type { Migration, MigrationPatch } from '../domain/migration.ts';

export interface NodeReportArgs {
  host: string;
  /** The node's resource provider uuid. */
  nodeUuid: string;
  hypervisorHostname: string;
  hypervisorType: string;
  hypervisorVersion: number;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  hostIp: string;
}

export type ConductorMethods = {
  /** compute-api, after writing the instance: schedule it and start the build on the chosen host. */
  build_instances: { kind: 'cast'; args: { uuids: string[] }; result: void };
  /** compute-api, after recording a resize: find a host for the new flavor, claim it, and start the move. */
  migrate_server: { kind: 'cast'; args: { uuid: string; migrationUuid: string; allowSameHost: boolean; requestedHost?: string }; result: void };
  /** compute-api, after recording a live migration: find (or check) the destination, claim it, and cast to the source. */
  live_migrate_instance: { kind: 'cast'; args: { uuid: string; migrationUuid: string; requestedHost?: string }; result: void };
  /** compute-api, after recording an evacuation: find (or check, or take the forced) destination, claim it, and cast the rebuild there. */
  evacuate_instance: { kind: 'cast'; args: { uuid: string; migrationUuid: string; requestedHost?: string; forcedHost?: string }; result: void };
  /** An agent at start: the evacuations away from its host whose leftovers it has not cleaned up yet. */
  evacuations_from: { kind: 'call'; args: { host: string }; result: Migration[] };
  /** An agent at start: the evacuations claimed for its host (destination node set) that it has not finished. */
  evacuations_to: { kind: 'call'; args: { host: string }; result: Migration[] };
  migration_get: { kind: 'call'; args: { uuid: string }; result: Migration | null };
  /** Applies a patch when the status is one of expectedStatus (if given); null when the race was lost. */
  migration_update: { kind: 'call'; args: { uuid: string; patch: MigrationPatch; expectedStatus?: string[] }; result: Migration | null };
  instance_get: { kind: 'call'; args: { uuid: string; includeDeleted?: boolean }; result: Instance | null };
  /** Applies a patch when task_state is one of expectedTaskState (if given); null when the race was lost. */
  instance_update: { kind: 'call'; args: { uuid: string; patch: InstancePatchArgs; expectedTaskState?: (string | null)[] }; result: Instance | null };
  /** instance_update without the updated server in the answer: whether the patch applied (false when the race was lost). */
  instance_patch: { kind: 'call'; args: { uuid: string; patch: InstancePatchArgs; expectedTaskState?: (string | null)[] }; result: boolean };
  /** Marks the server deleted once its agent has torn it down (or when no agent ever had it). */
  instance_destroy: { kind: 'call'; args: { uuid: string }; result: void };
  event_start: { kind: 'call'; args: { uuid: string; requestId: string; event: string; host: string | null }; result: void };
  /** `finishAction`: the event ends the action too (as action_finish would, in the same write). */
  event_finish: { kind: 'call'; args: { uuid: string; requestId: string; event: string; error?: string; finishAction?: boolean }; result: void };
  action_finish: { kind: 'call'; args: { uuid: string; requestId: string }; result: void };
  /** An agent's own action on a server (a periodic task's, e.g. the rescue_timeout unrescue), in the server's project. */
  action_start: { kind: 'call'; args: { uuid: string; requestId: string; globalRequestId: string; action: string }; result: void };
  /** An agent could not build: reschedule to another host, or put the server in ERROR with the fault. */
  build_failed: { kind: 'call'; args: { uuid: string; host: string; error: string; reschedule: boolean }; result: void };
  /** An agent's heartbeat and its node's capacity. */
  service_report: { kind: 'call'; args: NodeReportArgs; result: { disabled: boolean } };
  /** The volumes attached to a server. */
  volume_attachments: { kind: 'call'; args: { uuid: string }; result: { volumeId: string; attachmentId: string; device: string; deleteOnTermination?: boolean }[] };
  /** Every block device mapping of a server, made or not, boot device first (boot from volume). */
  block_device_mappings: { kind: 'call'; args: { uuid: string }; result: BlockDeviceRecord[] };
  /** Records the volume and attachment an agent made for a mapping (nulls: it undid them). */
  block_device_set_volume: { kind: 'call'; args: { id: string; volumeId: string | null; attachmentId: string | null }; result: void };
  /** Forgets a volume attachment once the agent detached it. */
  volume_detached: { kind: 'call'; args: { uuid: string; volumeId: string }; result: void };
  /** Live servers the database places on a host, for the agent's start-up sync. */
  host_instances: { kind: 'call'; args: { host: string }; result: Instance[] };
  /** compute-api, after recording an unshelve: power a shelved server on, or find and claim a host for an offloaded one. */
  unshelve_instance: { kind: 'cast'; args: { uuid: string }; result: void };
  /** A server's system metadata (Nova's; shelve records shelved_at, shelved_image_id, shelved_host there). */
  system_metadata_get: { kind: 'call'; args: { uuid: string }; result: Record<string, string> };
  system_metadata_update: { kind: 'call'; args: { uuid: string; set?: Record<string, string>; remove?: string[] }; result: void };
};

export const conductorRpc = defineRpc<ConductorMethods>('compute-conductor', '1.0');
