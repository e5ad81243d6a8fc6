// Subnets and the IP allocations made from them.
import type { Kysely } from 'kysely';
import type { NetworkDb, NetworkTables, SubnetRow } from './tables.ts';

type Db = Kysely<NetworkTables>;

export async function getSubnet(db: Db, id: string): Promise<SubnetRow | undefined> {
  return db.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function subnetsOfNetwork(db: Db, networkId: string): Promise<SubnetRow[]> {
  return db.selectFrom('subnets').selectAll().where('network_id', '=', networkId).orderBy('created_at').orderBy('id').execute();
}

/** Subnets a project sees: its own and those on networks it sees as shared; all for `project` undefined. */
export async function listSubnets(db: NetworkDb, project: string | undefined): Promise<SubnetRow[]> {
  let q = db.selectFrom('subnets').selectAll('subnets');
  if (project !== undefined) {
    q = q.where((eb) => eb.or([
      eb('subnets.project_id', '=', project),
      eb('subnets.network_id', 'in', eb.selectFrom('networks').select('id').where((e) => e.or([e('shared', '=', true), e('router_external', '=', true), e('project_id', '=', project)]))),
    ]));
  }
  return q.orderBy('id').execute();
}

export async function insertSubnet(db: Db, row: SubnetRow): Promise<void> {
  await db.insertInto('subnets').values(row).execute();
}

export async function countAllocations(db: Db, subnetId: string): Promise<number> {
  const row = await db.selectFrom('ip_allocations').select((eb) => eb.fn.countAll().as('n')).where('subnet_id', '=', subnetId).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Every address taken on a network (the unique key's scope, and its index). */
export async function allocatedAddresses(db: Db, networkId: string): Promise<string[]> {
  return (await db.selectFrom('ip_allocations').select('ip_address').where('network_id', '=', networkId).execute()).map((r) => r.ip_address);
}

export async function deleteSubnetRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom('tags').where('resource_id', '=', id).execute();
  await db.deleteFrom('subnets').where('id', '=', id).execute();
}
