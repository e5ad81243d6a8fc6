// The conductor's RPC contract: the volume service never touches the database, so it reports each operation's outcome
// here, sends its heartbeat, and asks on start what a dead predecessor left half-done.
import { defineRpc } from '#lib/bus/index.ts';
import type { MigrationRef } from './volume-rpc.ts';

export interface OperationResult {
  ok: boolean;
  /** Why it failed, for the log (users see the error status). */
  error?: string;
}

export type ConductorRpcMethods = {
  volumeCreated: { kind: 'cast'; args: OperationResult & { volumeId: string; location?: string }; result: void };
  volumeDeleted: { kind: 'cast'; args: OperationResult & { volumeId: string; reason: 'delete' | 'cleanup' }; result: void };
  volumeExtended: { kind: 'cast'; args: OperationResult & { volumeId: string; oldSizeGb: number }; result: void };
  /** How far a snapshot's copy is (`42%`), while it is creating. */
  snapshotProgress: { kind: 'cast'; args: { snapshotId: string; progress: string }; result: void };
  /** A migration's copy is made (or failed) on the destination backend. */
  volumeMigrated: { kind: 'cast'; args: OperationResult & { volumeId: string; format: string; location?: string; migration: MigrationRef }; result: void };
  snapshotCreated: { kind: 'cast'; args: OperationResult & { snapshotId: string; location?: string }; result: void };
  snapshotDeleted: { kind: 'cast'; args: OperationResult & { snapshotId: string; reason: 'delete' | 'cleanup' }; result: void };
  volumeUploaded: { kind: 'cast'; args: OperationResult & { volumeId: string; imageId: string; previousStatus: string }; result: void };
  backupCreated: { kind: 'cast'; args: OperationResult & { backupId: string; volumeId: string; previousStatus: string; location?: string; objectCount?: number; snapshotId?: string }; result: void };
  backupRestored: { kind: 'cast'; args: OperationResult & { backupId: string; volumeId: string }; result: void };
  backupDeleted: { kind: 'cast'; args: OperationResult & { backupId: string }; result: void };
  reportState: { kind: 'cast'; args: { binary: string; host: string; zone: string }; result: void };
  /** Called by a volume service once it serves: repairs what a stopped process left transitional on this host. */
  initHost: { kind: 'call'; args: { host: string }; result: { volumes: number; snapshots: number } };
};

export const conductorRpc = defineRpc<ConductorRpcMethods>('block-storage-conductor', '1.0');
