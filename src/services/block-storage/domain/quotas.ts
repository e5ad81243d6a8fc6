// Quota arithmetic without I/O: what a project may still create, and the Cinder error when it may not.
import { backupGigabytesOverQuota, backupsOverQuota, gigabytesOverQuota, snapshotsOverQuota, volumesOverQuota } from './errors.ts';

export const QUOTA_RESOURCES = ['volumes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes', 'groups', 'per_volume_gigabytes'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export type QuotaLimits = Record<QuotaResource, number>;

export interface Usage {
  volumes: number;
  snapshots: number;
  gigabytes: number;
  backups: number;
  backup_gigabytes: number;
}

/** Throws OverQuota (413) in Cinder's words when usage after the change would pass a limit; -1 means unlimited. */
export function checkQuota(limits: QuotaLimits, usage: Usage, delta: Partial<Usage>): void {
  const over = (r: keyof Usage) => (delta[r] ?? 0) > 0 && limits[r] >= 0 && usage[r] > limits[r];
  if (over('gigabytes')) {
    throw gigabytesOverQuota({ requested: delta.gigabytes ?? 0, quota: limits.gigabytes, consumed: usage.gigabytes - (delta.gigabytes ?? 0) });
  }
  if (over('volumes')) throw volumesOverQuota(limits.volumes);
  if (over('snapshots')) throw snapshotsOverQuota(limits.snapshots);
  if (over('backup_gigabytes')) {
    throw backupGigabytesOverQuota({ requested: delta.backup_gigabytes ?? 0, quota: limits.backup_gigabytes, consumed: usage.backup_gigabytes - (delta.backup_gigabytes ?? 0) });
  }
  if (over('backups')) throw backupsOverQuota(limits.backups);
}
