// The volume and snapshot list queries: filters, one sort key (id breaks ties) and keyset pagination after a marker.
import type { Snapshot, Volume } from '../domain/models.ts';
import type { BlockStorageDb } from './tables.ts';
import { toVolume } from './volumes-repo.ts';
import { toSnapshot } from './snapshots-repo.ts';

export interface ListPage<Row> {
  /** Restrict to one project (undefined: every project, for admins with all_tenants). */
  projectId?: string;
  sortKey: string;
  sortDir: 'asc' | 'desc';
  limit: number;
  offset?: number;
  /** The row the page starts after. */
  marker?: Row;
}

export interface VolumeFilters {
  name?: string;
  status?: string;
  availabilityZone?: string;
  bootable?: boolean;
  volumeTypeId?: string;
  /** Every pair must be present in the volume's metadata. */
  metadata?: Record<string, string>;
}

const VOLUME_COLUMNS: Record<string, 'created_at' | 'updated_at' | 'id' | 'name' | 'size' | 'status' | 'availability_zone' | 'bootable'> = {
  created_at: 'created_at', updated_at: 'updated_at', id: 'id', name: 'name', size: 'size', status: 'status',
  availability_zone: 'availability_zone', bootable: 'bootable',
};
export const VOLUME_SORT_KEYS = Object.keys(VOLUME_COLUMNS);
export const SNAPSHOT_SORT_KEYS = ['created_at', 'updated_at', 'id', 'name', 'size', 'status'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the marker's value of whichever sort column was chosen
const markerValue = (row: any, key: string): any => row[key];

/** Volumes matching the filters; rows marked `deleted` (data gone, row awaiting its snapshots) are never listed. */
export async function listVolumes(db: BlockStorageDb, f: VolumeFilters, page: ListPage<Volume>): Promise<{ volumes: Volume[]; count: number }> {
  let q = db.selectFrom('volumes').where('status', '!=', 'deleted');
  if (page.projectId !== undefined) q = q.where('project_id', '=', page.projectId);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.availabilityZone !== undefined) q = q.where('availability_zone', '=', f.availabilityZone);
  if (f.bootable !== undefined) q = q.where('bootable', '=', f.bootable);
  if (f.volumeTypeId !== undefined) q = q.where('volume_type_id', '=', f.volumeTypeId);
  for (const [key, value] of Object.entries(f.metadata ?? {})) {
    q = q.where('id', 'in', db.selectFrom('volume_metadata').select('owner_id').where('key', '=', key).where('value', '=', value));
  }
  const count = Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const col = VOLUME_COLUMNS[page.sortKey] ?? 'created_at';
  const cmp = page.sortDir === 'asc' ? '>' : '<';
  let rows = q.selectAll();
  if (page.marker) {
    const m = page.marker;
    const mv = markerValue({ ...m, created_at: m.createdAt, updated_at: m.updatedAt, availability_zone: m.availabilityZone }, col);
    rows = rows.where((eb) => eb.or([eb(col, cmp, mv), eb.and([eb(col, '=', mv), eb('id', cmp, m.id)])]));
  }
  const result = await rows.orderBy(col, page.sortDir).orderBy('id', page.sortDir).limit(page.limit).offset(page.offset ?? 0).execute();
  return { volumes: result.map(toVolume), count };
}

export interface SnapshotFilters { name?: string; status?: string; volumeId?: string }

export async function listSnapshots(db: BlockStorageDb, f: SnapshotFilters, page: ListPage<Snapshot>): Promise<{ snapshots: Snapshot[]; count: number }> {
  let q = db.selectFrom('snapshots');
  if (page.projectId !== undefined) q = q.where('project_id', '=', page.projectId);
  if (f.name !== undefined) q = q.where('name', '=', f.name);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.volumeId !== undefined) q = q.where('volume_id', '=', f.volumeId);
  const count = Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const col = (SNAPSHOT_SORT_KEYS.includes(page.sortKey) ? page.sortKey : 'created_at') as 'created_at' | 'updated_at' | 'id' | 'name' | 'size' | 'status';
  const cmp = page.sortDir === 'asc' ? '>' : '<';
  let rows = q.selectAll();
  if (page.marker) {
    const m = page.marker;
    const mv = markerValue({ ...m, created_at: m.createdAt, updated_at: m.updatedAt }, col);
    rows = rows.where((eb) => eb.or([eb(col, cmp, mv), eb.and([eb(col, '=', mv), eb('id', cmp, m.id)])]));
  }
  const result = await rows.orderBy(col, page.sortDir).orderBy('id', page.sortDir).limit(page.limit).offset(page.offset ?? 0).execute();
  return { snapshots: result.map(toSnapshot), count };
}
