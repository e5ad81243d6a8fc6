// Images in the database: rows with their custom properties and tags, saved and read back as domain Images.
import type { Image, ImageLocation, ImageStatus, Visibility } from '../domain/image-model.ts';
import { RESERVED_PREFIX } from '../domain/image-model.ts';
import type { ImageDb, ImageRow } from './tables.ts';

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function rowToImage(row: ImageRow, properties: Record<string, string>, tags: string[], locations: ImageLocation[]): Image {
  return {
    id: row.id, name: row.name, owner: row.owner, status: row.status as ImageStatus, visibility: row.visibility as Visibility,
    diskFormat: row.disk_format, containerFormat: row.container_format, size: num(row.size), virtualSize: num(row.virtual_size),
    checksum: row.checksum, osHashAlgo: row.os_hash_algo, osHashValue: row.os_hash_value, minDisk: Number(row.min_disk),
    minRam: Number(row.min_ram), protected: Boolean(row.protected), osHidden: Boolean(row.os_hidden), stagedLocation: row.location,
    locations, createdAt: row.created_at, updatedAt: row.updated_at, properties, tags,
  };
}

function imageToRow(i: Image): ImageRow {
  return {
    id: i.id, name: i.name, owner: i.owner, status: i.status, visibility: i.visibility, disk_format: i.diskFormat,
    container_format: i.containerFormat, size: i.size, virtual_size: i.virtualSize, checksum: i.checksum,
    os_hash_algo: i.osHashAlgo, os_hash_value: i.osHashValue, min_disk: i.minDisk, min_ram: i.minRam, protected: i.protected,
    os_hidden: i.osHidden, location: i.stagedLocation, created_at: i.createdAt, updated_at: i.updatedAt,
  };
}

/** Rows to Images, reading the properties, tags and locations of all of them in three queries. */
export async function hydrate(db: ImageDb, rows: ImageRow[]): Promise<Image[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [props, tags, locations] = await Promise.all([
    db.selectFrom('image_properties').selectAll().where('image_id', 'in', ids).execute(),
    db.selectFrom('image_tags').selectAll().where('image_id', 'in', ids).orderBy('value').execute(),
    db.selectFrom('image_locations').selectAll().where('image_id', 'in', ids).orderBy('position').execute(),
  ]);
  const propsOf = new Map<string, Record<string, string>>();
  for (const p of props) (propsOf.get(p.image_id) ?? propsOf.set(p.image_id, {}).get(p.image_id)!)[p.name] = p.value;
  const tagsOf = new Map<string, string[]>();
  for (const t of tags) (tagsOf.get(t.image_id) ?? tagsOf.set(t.image_id, []).get(t.image_id)!).push(t.value);
  const locationsOf = new Map<string, ImageLocation[]>();
  for (const l of locations) (locationsOf.get(l.image_id) ?? locationsOf.set(l.image_id, []).get(l.image_id)!).push({ store: l.store, url: l.url });
  return rows.map((r) => rowToImage(r, propsOf.get(r.id) ?? {}, tagsOf.get(r.id) ?? [], locationsOf.get(r.id) ?? []));
}

export async function getImage(db: ImageDb, id: string): Promise<Image | undefined> {
  const row = await db.selectFrom('images').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? (await hydrate(db, [row]))[0] : undefined;
}

/** Inserts a new image with its properties and tags in one transaction; a duplicate id is a unique violation. */
export async function insertImage(db: ImageDb, image: Image): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('images').values(imageToRow(image)).execute();
    await writeExtras(trx, image);
  });
}

/** Writes the client's properties and the tags; the service's own (`os_glance_*`) properties are left to their workflows. */
async function writeExtras(db: ImageDb, image: Image): Promise<void> {
  const props = Object.entries(image.properties).filter(([name]) => !name.startsWith(RESERVED_PREFIX)).map(([name, value]) => ({ image_id: image.id, name, value }));
  if (props.length) await db.insertInto('image_properties').values(props).execute();
  if (image.tags.length) await db.insertInto('image_tags').values(image.tags.map((value) => ({ image_id: image.id, value }))).execute();
}

/**
 * Saves the client-settable state of an image (attributes, properties, tags) in one transaction, leaving status,
 * sizes, hashes and location to the upload workflow. Returns false when the image no longer exists.
 */
export async function saveImage(db: ImageDb, image: Image): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('images').set({
      name: image.name, owner: image.owner, visibility: image.visibility, disk_format: image.diskFormat,
      container_format: image.containerFormat, min_disk: image.minDisk, min_ram: image.minRam, protected: image.protected,
      os_hidden: image.osHidden, updated_at: image.updatedAt,
    }).where('id', '=', image.id).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    // An import running meanwhile owns the os_glance_* rows (its lock among them): an update never rewrites them.
    await trx.deleteFrom('image_properties').where('image_id', '=', image.id)
      .where((eb) => eb(eb.fn('substr', ['name', eb.val(1), eb.val(RESERVED_PREFIX.length)]), '<>', RESERVED_PREFIX)).execute();
    await trx.deleteFrom('image_tags').where('image_id', '=', image.id).execute();
    await writeExtras(trx, image);
    return true;
  });
}

export async function deleteImage(db: ImageDb, id: string): Promise<boolean> {
  const r = await db.deleteFrom('images').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Moves an image from one status to another only if it is still in `from`; answers whether it did. */
export async function transition(db: ImageDb, id: string, from: ImageStatus, to: ImageStatus, at: string): Promise<boolean> {
  const r = await db.updateTable('images').set({ status: to, updated_at: at }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface StoredData {
  size: number; virtualSize: number | null; checksum: string; osHashAlgo: string; osHashValue: string;
  /** The copies written, one per store, in the order reads should try them. */
  locations: ImageLocation[];
}

/**
 * Records completed data (its copies as the image's locations, any staged location released) and makes the image
 * active, only if it is still in `from`; answers whether it did.
 */
export async function activate(db: ImageDb, id: string, data: StoredData, at: string, from: ImageStatus): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('images').set({
      status: 'active', size: data.size, virtual_size: data.virtualSize, checksum: data.checksum, os_hash_algo: data.osHashAlgo,
      os_hash_value: data.osHashValue, location: null, updated_at: at,
    }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await trx.insertInto('image_locations').values(data.locations.map((l, position) => ({ image_id: id, store: l.store, url: l.url, position }))).execute();
    return true;
  });
}

export async function countOwned(db: ImageDb, owner: string): Promise<number> {
  const r = await db.selectFrom('images').select((eb) => eb.fn.countAll().as('n')).where('owner', '=', owner).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Bytes of data a project stores (images with data, staged or stored, whatever their status), once per image. */
export async function storedBytes(db: ImageDb, owner: string): Promise<number> {
  const r = await db.selectFrom('images').select((eb) => eb.fn.sum<number | string | null>('size').as('bytes'))
    .where('owner', '=', owner)
    .where((eb) => eb.or([
      eb('location', 'is not', null),
      eb.exists(eb.selectFrom('image_locations').select('image_locations.image_id').whereRef('image_locations.image_id', '=', 'images.id')),
    ])).executeTakeFirst();
  return Number(r?.bytes ?? 0);
}

/**
 * Repairs what a process that stopped mid-transfer left: `saving` and a stage without complete staged data (`uploading`
 * without a location) go back to `queued`, as a failed upload does; `importing` goes back to `uploading` (the staged
 * data is still there, so the import can be retried).
 */
export async function requeueInterruptedUploads(db: ImageDb, at: string): Promise<number> {
  const r = await db.updateTable('images').set({ status: 'queued', updated_at: at })
    .where((eb) => eb.or([eb('status', '=', 'saving'), eb.and([eb('status', '=', 'uploading'), eb('location', 'is', null)])])).executeTakeFirst();
  const i = await db.updateTable('images').set({ status: 'uploading', updated_at: at }).where('status', '=', 'importing').executeTakeFirst();
  return Number(r.numUpdatedRows) + Number(i.numUpdatedRows);
}

/** Locations of staged data that images still hold (`uploading` or `importing` with a location). */
export async function stagedLocations(db: ImageDb): Promise<string[]> {
  const rows = await db.selectFrom('images').select('location').where('status', 'in', ['uploading', 'importing']).where('location', 'is not', null).execute();
  return rows.map((r) => r.location!);
}

/** Records the location of complete staged data, only while the image is still `uploading`; answers whether it did. */
export async function recordStaged(db: ImageDb, id: string, location: string, at: string): Promise<boolean> {
  const r = await db.updateTable('images').set({ location, updated_at: at }).where('id', '=', id).where('status', '=', 'uploading')
    .where('location', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
