// Where a chunked backup's objects are: its location is `chunked+<store>:<prefix>`, fixed when the API records the
// backup (the prefix comes from the volume and backup ids), so even a backup interrupted by a crash can be cleaned up.
// Any other location is a backup of the old layout (a qcow2 file path).

/** The stores a chunked backup can live in: `file` (backup_driver file) or `swift` (backup_driver object-store). */
export type BackupStoreKind = 'file' | 'swift';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCATION = /^chunked\+(file|swift):(volume_[0-9a-f-]{36}\/backup_[0-9a-f-]{36})$/;

/** Object names start with this prefix: the volume and backup ids, as Cinder's `volume_<id>/…backup_<id>`. */
export function backupPrefix(volumeId: string, backupId: string): string {
  if (!UUID.test(volumeId) || !UUID.test(backupId)) throw new Error('backup and volume ids must be UUIDs');
  return `volume_${volumeId}/backup_${backupId}`;
}

export const chunkedLocation = (kind: BackupStoreKind, prefix: string): string => `chunked+${kind}:${prefix}`;

/** The store and object prefix a chunked backup's location names; undefined for anything else (the old layout). */
export function parseChunkedLocation(location: string | null): { kind: BackupStoreKind; prefix: string } | undefined {
  const m = location ? LOCATION.exec(location) : null;
  return m ? { kind: m[1] as BackupStoreKind, prefix: m[2] } : undefined;
}
