// Compute services (one per agent, scheduler, conductor) and compute nodes (one per hypervisor) as agents report them.
import { randomUUID } from 'node:crypto';
import type { ComputeDb, ComputeNodeRow, ComputeServiceRow } from './tables.ts';

/** Records a service's heartbeat, creating its row on first report (safe when two starts race). */
export async function reportService(db: ComputeDb, host: string, binary: string): Promise<void> {
  const now = new Date().toISOString();
  const res = await db.updateTable('compute_services').set({ last_seen_up: now, updated_at: now })
    .where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
  if (Number(res.numUpdatedRows) > 0) return;
  try {
    await db.insertInto('compute_services').values({
      id: randomUUID(), host, binary, disabled: false, disabled_reason: null, forced_down: false, last_seen_up: now, created_at: now, updated_at: now,
    }).execute();
  } catch {
    await db.updateTable('compute_services').set({ last_seen_up: now, updated_at: now }).where('host', '=', host).where('binary', '=', binary).execute();
  }
}

export async function listServices(db: ComputeDb, f: { host?: string; binary?: string } = {}): Promise<ComputeServiceRow[]> {
  let q = db.selectFrom('compute_services').selectAll();
  if (f.host) q = q.where('host', '=', f.host);
  if (f.binary) q = q.where('binary', '=', f.binary);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function getService(db: ComputeDb, id: string): Promise<ComputeServiceRow | undefined> {
  return db.selectFrom('compute_services').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateService(db: ComputeDb, id: string, patch: { disabled?: boolean; disabled_reason?: string | null; forced_down?: boolean }): Promise<void> {
  await db.updateTable('compute_services').set({ ...patch, updated_at: new Date().toISOString() }).where('id', '=', id).execute();
}

export async function deleteService(db: ComputeDb, id: string): Promise<void> {
  await db.deleteFrom('compute_services').where('id', '=', id).execute();
}

export type NodeReport = Omit<ComputeNodeRow, 'created_at' | 'updated_at'>;

/** Creates or refreshes a compute node as its agent reports it. */
export async function reportNode(db: ComputeDb, n: NodeReport): Promise<void> {
  const now = new Date().toISOString();
  const res = await db.updateTable('compute_nodes').set({ ...n, updated_at: now }).where('uuid', '=', n.uuid).executeTakeFirst();
  if (Number(res.numUpdatedRows) > 0) return;
  await db.insertInto('compute_nodes').values({ ...n, created_at: now, updated_at: now }).execute();
}

export async function listNodes(db: ComputeDb): Promise<ComputeNodeRow[]> {
  return db.selectFrom('compute_nodes').selectAll().orderBy('created_at').orderBy('uuid').execute();
}

/** The columns the scheduler's filters use, read for every boot: each node's host, and each agent service's state. */
export async function schedulingView(db: ComputeDb, binary: string): Promise<{
  nodes: Pick<ComputeNodeRow, 'uuid' | 'host' | 'hypervisor_hostname'>[];
  services: Pick<ComputeServiceRow, 'host' | 'disabled' | 'forced_down' | 'last_seen_up'>[];
}> {
  const nodes = await db.selectFrom('compute_nodes').select(['uuid', 'host', 'hypervisor_hostname']).orderBy('created_at').orderBy('uuid').execute();
  const services = await db.selectFrom('compute_services').select(['host', 'disabled', 'forced_down', 'last_seen_up'])
    .where('binary', '=', binary).orderBy('created_at').orderBy('id').execute();
  return { nodes, services };
}

export async function getNode(db: ComputeDb, uuid: string): Promise<ComputeNodeRow | undefined> {
  return db.selectFrom('compute_nodes').selectAll().where('uuid', '=', uuid).executeTakeFirst();
}

/** Live servers per node, for the hypervisors API (running_vms, *_used, current_workload = servers with a task running). */
export async function nodeUsage(db: ComputeDb): Promise<Map<string, { vms: number; vcpus: number; ram: number; disk: number; busy: number }>> {
  const rows = await db.selectFrom('instances')
    .select((eb) => ['node', eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('vcpus').as('c'), eb.fn.sum<number>('memory_mb').as('m'),
      eb.fn.sum<number>('root_gb').as('d'), eb.fn.sum<number>(eb.case().when('task_state', 'is not', null).then(1).else(0).end()).as('b')])
    .where('deleted', '=', false).where('node', 'is not', null).groupBy('node').execute();
  return new Map(rows.map((r) => [r.node!, { vms: Number(r.n), vcpus: Number(r.c), ram: Number(r.m), disk: Number(r.d), busy: Number(r.b) }]));
}
