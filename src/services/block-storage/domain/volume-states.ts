// Which statuses each operation starts from, as Cinder's volume API checks them. The database applies them as
// conditional updates (`... where status in (...)`), so two racing requests cannot both win.

export const VOLUME_STATUSES = [
  'creating', 'available', 'reserved', 'attaching', 'detaching', 'in-use', 'maintenance', 'deleting', 'awaiting-transfer',
  'error', 'error_deleting', 'backing-up', 'restoring-backup', 'error_backing-up', 'error_restoring', 'error_extending',
  'downloading', 'uploading', 'retyping', 'extending',
] as const;

export const SNAPSHOT_STATUSES = ['creating', 'available', 'deleting', 'error', 'error_deleting', 'unmanaging', 'backing-up', 'restoring'] as const;

export const ATTACH_STATUSES = ['attached', 'attaching', 'detached', 'reserved', 'detaching', 'error_attaching', 'error_detaching', 'deleted'] as const;

/** A volume may be deleted from these (and never while attached or with snapshots, unless cascading). */
export const DELETABLE = ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'];
/** Extend: available, and in-use from 3.42 where the driver allows. */
export const EXTENDABLE = ['available'];
export const EXTENDABLE_IN_USE = ['available', 'in-use'];
/** A snapshot is taken of an available volume; of an in-use one only with force. */
export const SNAPSHOTTABLE = ['available'];
export const SNAPSHOTTABLE_FORCED = ['available', 'in-use'];
/** A new attachment (or the legacy reserve) starts from these; in-use only for multiattach volumes. */
export const ATTACHABLE = ['available', 'reserved'];
export const ATTACHABLE_MULTI = ['available', 'reserved', 'in-use'];
export const SNAPSHOT_DELETABLE = ['available', 'error'];

/** Statuses a dead volume service leaves behind, and what its restart makes of them (Cinder's init_host). */
export const VOLUME_RECOVERY: Record<string, 'error' | 'resume-delete' | 'error_extending' | 'error_restoring' | 'settle'> = {
  creating: 'error', downloading: 'error', deleting: 'resume-delete', error_deleting: 'resume-delete', extending: 'error_extending',
  'restoring-backup': 'error_restoring', 'backing-up': 'settle', uploading: 'settle',
  // A migration (retype on-demand, or os-migrate_volume's maintenance) that lost its source service is given up:
  // the volume settles where it is with migration_status error, and a late copy is cleaned up as not the volume.
  retyping: 'settle', maintenance: 'settle',
};
/** Backups a dead volume service left: a half-made one is an error, a delete is finished, a restore given up. */
export const BACKUP_RECOVERY: Record<string, 'error' | 'resume-delete' | 'available'> = { creating: 'error', deleting: 'resume-delete', restoring: 'available' };
/** backing-up: a backup of the snapshot was only reading it (the backup itself goes to error). */
export const SNAPSHOT_RECOVERY: Record<string, 'error' | 'resume-delete' | 'available'> = {
  creating: 'error', deleting: 'resume-delete', error_deleting: 'resume-delete', 'backing-up': 'available',
};
