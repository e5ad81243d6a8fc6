// Instances and their metadata in the compute database. State changes are compare-and-swap on task_state (Nova's
// expected_task_state), so two actions racing on one server cannot both win.
import type { Instance } from '../domain/instance.ts';
import type { ExpressionBuilder } from 'kysely';
import type { ComputeDb, ComputeTables, InstanceRow } from './tables.ts';
import type { TagFilter } from './tags-repo.ts';
import { deleteInstanceConsoleAuthTokens } from './console-auth-tokens-repo.ts';

function toInstance(row: InstanceRow, metadata: Record<string, string>): Instance {
  return {
    uuid: row.uuid, name: row.display_name, description: row.display_description, projectId: row.project_id, userId: row.user_id,
    imageRef: row.image_ref, flavor: JSON.parse(row.flavor), keyName: row.key_name, keyData: row.key_data, userData: row.user_data,
    availabilityZone: row.availability_zone, hostname: row.hostname, host: row.host, node: row.node, vmState: row.vm_state,
    taskState: row.task_state, powerState: row.power_state, configDrive: Boolean(row.config_drive), accessIpV4: row.access_ip_v4,
    accessIpV6: row.access_ip_v6, locked: Boolean(row.locked), lockedBy: row.locked_by, reservationId: row.reservation_id,
    launchIndex: row.launch_index, requestedNetworks: JSON.parse(row.requested_networks), securityGroups: JSON.parse(row.security_groups),
    networkInfo: JSON.parse(row.network_info), requestSpec: JSON.parse(row.request_spec), fault: row.fault ? JSON.parse(row.fault) : null,
    metadata, launchedAt: row.launched_at, terminatedAt: row.terminated_at, createdAt: row.created_at, updatedAt: row.updated_at,
    deletedAt: row.deleted_at, deleted: Boolean(row.deleted),
  };
}

/** The fields a state change may set. */
export type InstancePatch = Partial<Pick<Instance,
  'name' | 'description' | 'host' | 'node' | 'vmState' | 'taskState' | 'powerState' | 'networkInfo' | 'fault' | 'launchedAt' |
  'terminatedAt' | 'deleted' | 'deletedAt' | 'locked' | 'lockedBy' | 'requestSpec' | 'accessIpV4' | 'accessIpV6' | 'imageRef' | 'flavor' |
  'availabilityZone' | 'hostname' | 'securityGroups'>>;

function toColumns(p: InstancePatch): Partial<InstanceRow> {
  const c: Partial<InstanceRow> = {};
  if (p.name !== undefined) c.display_name = p.name;
  if (p.description !== undefined) c.display_description = p.description;
  if (p.host !== undefined) c.host = p.host;
  if (p.node !== undefined) c.node = p.node;
  if (p.vmState !== undefined) c.vm_state = p.vmState;
  if (p.taskState !== undefined) c.task_state = p.taskState;
  if (p.powerState !== undefined) c.power_state = p.powerState;
  if (p.networkInfo !== undefined) c.network_info = JSON.stringify(p.networkInfo);
  if (p.fault !== undefined) c.fault = p.fault ? JSON.stringify(p.fault) : null;
  if (p.launchedAt !== undefined) c.launched_at = p.launchedAt;
  if (p.terminatedAt !== undefined) c.terminated_at = p.terminatedAt;
  if (p.deleted !== undefined) c.deleted = p.deleted;
  if (p.deletedAt !== undefined) c.deleted_at = p.deletedAt;
  if (p.locked !== undefined) c.locked = p.locked;
  if (p.lockedBy !== undefined) c.locked_by = p.lockedBy;
  if (p.requestSpec !== undefined) c.request_spec = JSON.stringify(p.requestSpec);
  if (p.accessIpV4 !== undefined) c.access_ip_v4 = p.accessIpV4;
  if (p.accessIpV6 !== undefined) c.access_ip_v6 = p.accessIpV6;
  if (p.imageRef !== undefined) c.image_ref = p.imageRef;
  if (p.availabilityZone !== undefined) c.availability_zone = p.availabilityZone;
  if (p.hostname !== undefined) c.hostname = p.hostname;
  if (p.securityGroups !== undefined) c.security_groups = JSON.stringify(p.securityGroups);
  if (p.flavor !== undefined) {
    // The copied columns follow the flavor (quota usage and the hypervisors API count them).
    Object.assign(c, { flavor: JSON.stringify(p.flavor), vcpus: p.flavor.vcpus, memory_mb: p.flavor.ram, root_gb: p.flavor.disk });
  }
  return c;
}

export async function insertInstance(db: ComputeDb, i: Instance): Promise<void> {
  const meta = Object.entries(i.metadata);
  // One row is atomic on its own; the transaction (a BEGIN and COMMIT more) is for the metadata rows beside it.
  if (!meta.length) return insertRow(db, i);
  await db.transaction().execute(async (tx) => {
    await insertRow(tx, i);
    await tx.insertInto('instance_metadata').values(meta.map(([key, value]) => ({ instance_uuid: i.uuid, key, value }))).execute();
  });
}

async function insertRow(db: ComputeDb, i: Instance): Promise<void> {
  await db.insertInto('instances').values({
    uuid: i.uuid, display_name: i.name, display_description: i.description, project_id: i.projectId, user_id: i.userId,
    image_ref: i.imageRef, flavor: JSON.stringify(i.flavor), vcpus: i.flavor.vcpus, memory_mb: i.flavor.ram, root_gb: i.flavor.disk,
    key_name: i.keyName, key_data: i.keyData, user_data: i.userData, availability_zone: i.availabilityZone, hostname: i.hostname,
    host: i.host, node: i.node, vm_state: i.vmState, task_state: i.taskState, power_state: i.powerState, config_drive: i.configDrive,
    access_ip_v4: i.accessIpV4, access_ip_v6: i.accessIpV6, locked: i.locked, locked_by: i.lockedBy, reservation_id: i.reservationId,
    launch_index: i.launchIndex, requested_networks: JSON.stringify(i.requestedNetworks), security_groups: JSON.stringify(i.securityGroups),
    network_info: JSON.stringify(i.networkInfo), request_spec: JSON.stringify(i.requestSpec), fault: i.fault ? JSON.stringify(i.fault) : null,
    launched_at: i.launchedAt, terminated_at: i.terminatedAt, created_at: i.createdAt, updated_at: i.updatedAt, deleted_at: null, deleted: false,
  }).execute();
}

async function metadataOf(db: ComputeDb, uuids: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(uuids.map((u) => [u, {}]));
  if (!uuids.length) return out;
  const rows = await db.selectFrom('instance_metadata').selectAll().where('instance_uuid', 'in', uuids).execute();
  for (const r of rows) out.get(r.instance_uuid)![r.key] = r.value;
  return out;
}

/** The instance, deleted ones only when asked (admins may read deleted servers, as in Nova). */
export async function getInstance(db: ComputeDb, uuid: string, opts: { includeDeleted?: boolean } = {}): Promise<Instance | undefined> {
  let q = db.selectFrom('instances').selectAll().where('uuid', '=', uuid);
  if (!opts.includeDeleted) q = q.where('deleted', '=', false);
  const row = await q.executeTakeFirst();
  if (!row) return undefined;
  return toInstance(row, (await metadataOf(db, [uuid])).get(uuid)!);
}

export interface InstanceFilter {
  projectId?: string;
  /** A regular expression matched against the name, as Nova does. */
  name?: string;
  vmStates?: string[];
  host?: string;
  changesSince?: string;
  reservationId?: string;
  imageRef?: string;
  /** Also deleted servers (admins, with deleted=true or changes-since). */
  includeDeleted?: boolean;
  onlyDeleted?: boolean;
  afterUuid?: string;
  limit: number;
  /** Updated at or before this time (2.66 changes-before). */
  changesBefore?: string;
  locked?: boolean;
  /** Nova's tag filters (2.26). */
  tags?: TagFilter;
  /** Exact-match columns (admins; everyone from 2.83). */
  userId?: string;
  keyName?: string;
  availabilityZone?: string;
  configDrive?: boolean;
  powerState?: number;
  taskState?: string;
}

/** Newest first (Nova's default created_at desc, uuid desc), paginated by the marker's position. */
export async function listInstances(db: ComputeDb, f: InstanceFilter): Promise<Instance[]> {
  let q = db.selectFrom('instances').selectAll();
  if (f.projectId) q = q.where('project_id', '=', f.projectId);
  if (f.onlyDeleted) q = q.where('deleted', '=', true);
  else if (!f.includeDeleted) q = q.where('deleted', '=', false);
  if (f.vmStates) q = q.where('vm_state', 'in', f.vmStates.length ? f.vmStates : ['-']);
  if (f.host) q = q.where('host', '=', f.host);
  if (f.changesSince) q = q.where('updated_at', '>=', f.changesSince);
  if (f.reservationId) q = q.where('reservation_id', '=', f.reservationId);
  if (f.imageRef) q = q.where('image_ref', '=', f.imageRef);
  if (f.changesBefore) q = q.where('updated_at', '<=', f.changesBefore);
  if (f.locked !== undefined) q = q.where('locked', '=', f.locked);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.keyName !== undefined) q = q.where('key_name', '=', f.keyName);
  if (f.availabilityZone !== undefined) q = q.where('availability_zone', '=', f.availabilityZone);
  if (f.configDrive !== undefined) q = q.where('config_drive', '=', f.configDrive);
  if (f.powerState !== undefined) q = q.where('power_state', '=', f.powerState);
  if (f.taskState !== undefined) q = q.where('task_state', '=', f.taskState);
  if (f.tags) {
    const t = f.tags;
    const has = (eb: ExpressionBuilder<ComputeTables, 'instances'>, tags: string[]) => eb.exists(eb.selectFrom('instance_tags').select('tag')
      .whereRef('instance_tags.instance_uuid', '=', 'instances.uuid').where('instance_tags.tag', 'in', tags));
    for (const tag of t.all ?? []) q = q.where((eb) => has(eb, [tag]));
    if (t.any?.length) q = q.where((eb) => has(eb, t.any!));
    if (t.notAll?.length) q = q.where((eb) => eb.or(t.notAll!.map((tag) => eb.not(has(eb, [tag])))));
    if (t.notAny?.length) q = q.where((eb) => eb.not(has(eb, t.notAny!)));
  }
  if (f.afterUuid) {
    const m = await db.selectFrom('instances').select(['created_at', 'uuid']).where('uuid', '=', f.afterUuid).executeTakeFirst();
    if (m) q = q.where((eb) => eb.or([eb('created_at', '<', m.created_at), eb.and([eb('created_at', '=', m.created_at), eb('uuid', '<', m.uuid)])]));
  }
  q = q.orderBy('created_at', 'desc').orderBy('uuid', 'desc');
  // A name filter is a regular expression, applied here; without it the database limits.
  const rows = f.name === undefined ? await q.limit(f.limit).execute() : await q.execute();
  let pattern: RegExp | undefined;
  if (f.name !== undefined) {
    try { pattern = new RegExp(f.name); } catch { pattern = new RegExp(f.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')); }
  }
  const kept = (pattern ? rows.filter((r) => pattern.test(r.display_name)) : rows).slice(0, f.limit);
  const meta = await metadataOf(db, kept.map((r) => r.uuid));
  return kept.map((r) => toInstance(r, meta.get(r.uuid)!));
}

/**
 * Applies `patch` when the server's task_state is one of `expectedTaskState` (when given); returns the updated server,
 * or undefined when the server is gone or its task state has moved on (the caller lost a race).
 */
export async function updateInstance(db: ComputeDb, uuid: string, patch: InstancePatch,
  expected: { taskState?: (string | null)[]; includeDeleted?: boolean } = {}): Promise<Instance | undefined> {
  if (!await patchInstance(db, uuid, patch, expected)) return undefined;
  return getInstance(db, uuid, { includeDeleted: true });
}

/** updateInstance for callers that only need to know whether the patch applied: no read of the server afterwards. */
export async function patchInstance(db: ComputeDb, uuid: string, patch: InstancePatch,
  expected: { taskState?: (string | null)[]; includeDeleted?: boolean } = {}): Promise<boolean> {
  let q = db.updateTable('instances').set({ ...toColumns(patch), updated_at: new Date().toISOString() }).where('uuid', '=', uuid);
  if (!expected.includeDeleted) q = q.where('deleted', '=', false);
  if (expected.taskState) {
    const states = expected.taskState;
    q = q.where((eb) => eb.or([
      ...(states.includes(null) ? [eb('task_state', 'is', null)] : []),
      ...(states.some((s) => s !== null) ? [eb('task_state', 'in', states.filter((s): s is string => s !== null))] : []),
    ]));
  }
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function setInstanceMetadata(db: ComputeDb, uuid: string, metadata: Record<string, string>, replace: boolean): Promise<void> {
  await db.transaction().execute(async (tx) => {
    if (replace) await tx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).execute();
    for (const [key, value] of Object.entries(metadata)) {
      await tx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).where('key', '=', key).execute();
      await tx.insertInto('instance_metadata').values({ instance_uuid: uuid, key, value }).execute();
    }
    await tx.updateTable('instances').set({ updated_at: new Date().toISOString() }).where('uuid', '=', uuid).execute();
  });
}

export async function deleteInstanceMetadataKey(db: ComputeDb, uuid: string, key: string): Promise<boolean> {
  const res = await db.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).where('key', '=', key).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** What a project's live servers use, for quota checks (Nova counts instances, cores and ram from the database). */
export async function projectUsage(db: ComputeDb, projectId: string): Promise<{ instances: number; cores: number; ram: number }> {
  const row = await db.selectFrom('instances')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('vcpus').as('cores'), eb.fn.sum<number>('memory_mb').as('ram')])
    .where('project_id', '=', projectId).where('deleted', '=', false).executeTakeFirst();
  return { instances: Number(row?.n ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
}

/** Live servers no host holds that sat `scheduling` or `deleting` since before `before` (work lost with a process). */
export async function listStuck(db: ComputeDb, before: string): Promise<Instance[]> {
  const rows = await db.selectFrom('instances').selectAll().where('deleted', '=', false).where('host', 'is', null)
    .where('task_state', 'in', ['scheduling', 'deleting']).where('updated_at', '<', before).execute();
  return rows.map((r) => toInstance(r, {}));
}

/** Takes a stuck server for recovery: true for exactly one of several concurrent takers (compare-and-swap on updated_at). */
export async function claimStale(db: ComputeDb, uuid: string, updatedAt: string): Promise<boolean> {
  const res = await db.updateTable('instances').set({ updated_at: new Date().toISOString() })
    .where('uuid', '=', uuid).where('updated_at', '=', updatedAt).where('deleted', '=', false).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The end of a server's life in the database: deleted, terminated, powered off; its console tokens go too. */
export async function markDeleted(db: ComputeDb, uuid: string): Promise<void> {
  const now = new Date().toISOString();
  await patchInstance(db, uuid, { deleted: true, deletedAt: now, terminatedAt: now, vmState: 'deleted', taskState: null, powerState: 0 });
  await deleteInstanceConsoleAuthTokens(db, uuid);
}
