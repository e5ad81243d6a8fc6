// The scheduler's RPC contract (cinder-scheduler): volume services fan their capabilities out to it; the API casts
// new volumes to it, and it places each on a backend before casting to that backend's volume service.
import { defineRpc } from '#lib/bus/index.ts';
import type { BackendCapabilities } from '../domain/models.ts';

export type SchedulerRpcMethods = {
  updateCapabilities: { kind: 'cast'; args: BackendCapabilities; result: void };
  /** imageEndpoint: where the volume service downloads an image source from (the API found it in the catalog). */
  /** backupSwiftUrl: the Object Storage account of a backup source kept there (the API found it in the catalog). */
  createVolume: { kind: 'cast'; args: { volumeId: string; imageEndpoint?: string; backupSwiftUrl?: string }; result: void };
  /** A retype that moves the volume (migration_policy on-demand): another backend for `newTypeId`, then the copy there. */
  migrateVolume: {
    kind: 'cast';
    /** hold: the status the volume keeps meanwhile (retyping, or maintenance for os-migrate_volume); host: a required destination. */
    args: { volumeId: string; newTypeId: string; newFormat: string; previousStatus: string; hold: 'retyping' | 'maintenance'; host?: string };
    result: void;
  };
};

export const schedulerRpc = defineRpc<SchedulerRpcMethods>('block-storage-scheduler', '1.0');
