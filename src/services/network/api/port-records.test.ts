// The IPAM write path under a lost race: when the address it picked was taken by a writer it could not see (a stale
// read, as between two servers on PostgreSQL), the database's key refuses the insert and the port gets the next
// free address instead — never a duplicate, never an error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { isUniqueViolation, openDatabase, runMigrations } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import { networkMigrations } from '../db/migrations/index.ts';
import type { NetworkTables, SubnetRow } from '../db/tables.ts';
import { insertAllocation } from '../db/ports-repo.ts';
import { createPortRecords } from './port-records.ts';
import type { NewPort } from './port-records.ts';

/** Hides the given addresses from the next `times` reads of ip_allocations: what a writer sees before another commits. */
function staleReads(hidden: Set<string>, times: number): KyselyPlugin {
  const reads = new Set<unknown>();
  let left = times;
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      const node = args.node as { kind: string; from?: { froms: { table?: { identifier?: { name: string } } }[] } };
      if (node.kind === 'SelectQueryNode' && node.from?.froms.some((f) => f.table?.identifier?.name === 'ip_allocations')) reads.add(args.queryId);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (!reads.has(args.queryId) || left <= 0) return args.result;
      left--;
      return { ...args.result, rows: args.result.rows.filter((r) => !hidden.has(String(r.ip_address))) };
    },
  };
}

describe('port records: losing an address race', () => {
  let dir: string;
  let database: Database<NetworkTables>;
  const ts = '2026-01-01T00:00:00Z';
  const subnet: SubnetRow = {
    id: 'subnet-1', project_id: 'p', description: '', revision_number: 1, created_at: ts, updated_at: ts, name: '', network_id: 'net-1',
    ip_version: 4, cidr: '10.0.0.0/29', gateway_ip: '10.0.0.1', enable_dhcp: true, dns_nameservers: '[]', host_routes: '[]',
    allocation_pools: JSON.stringify([{ start: '10.0.0.2', end: '10.0.0.6' }]), ipv6_ra_mode: null, ipv6_address_mode: null,
  };
  const port = (over: Partial<NewPort> = {}): NewPort => ({
    project_id: 'p', description: '', name: '', network_id: 'net-1', admin_state_up: true, status: 'DOWN', device_id: '', device_owner: '',
    binding_host_id: '', binding_vif_type: 'unbound', binding_vif_details: '{}', binding_profile: '{}', binding_vnic_type: 'normal',
    port_security_enabled: true, allowed_address_pairs: () => '[]', planned: [{ subnet }], securityGroups: [], now: ts, ...over,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'network-ipam-'));
    database = await openDatabase<NetworkTables>({ url: `sqlite://${dir}/network.sqlite` });
    await runMigrations(database, networkMigrations);
    await database.db.insertInto('networks').values({
      id: 'net-1', project_id: 'p', description: '', revision_number: 1, created_at: ts, updated_at: ts, name: '', admin_state_up: true,
      status: 'ACTIVE', shared: false, router_external: false, mtu: 1450, port_security_enabled: true, network_type: 'local',
      physical_network: null, segmentation_id: null,
    }).execute();
    await database.db.insertInto('subnets').values(subnet).execute();
  });
  after(async () => {
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second allocation of one address on a network at the database', async () => {
    const first = await createPortRecords(database.db, port());
    assert.deepEqual(first.fixedIps, [{ subnet_id: 'subnet-1', ip_address: '10.0.0.2' }]);
    const other = await createPortRecords(database.db, port({ planned: [] }));
    await assert.rejects(insertAllocation(database.db, { networkId: 'net-1', subnetId: 'subnet-1', ipAddress: '10.0.0.2', portId: other.id }), isUniqueViolation);
  });

  it('retries with the next free address when its pick was taken behind its back', async () => {
    const stale = database.db.withPlugin(staleReads(new Set(['10.0.0.2', '10.0.0.3']), 1));
    await insertAllocation(database.db, { networkId: 'net-1', subnetId: 'subnet-1', ipAddress: '10.0.0.3', portId: (await createPortRecords(database.db, port({ planned: [] }))).id });
    const raced = await createPortRecords(stale, port());
    assert.deepEqual(raced.fixedIps, [{ subnet_id: 'subnet-1', ip_address: '10.0.0.4' }]);
    const all = await database.db.selectFrom('ip_allocations').select('ip_address').execute();
    assert.equal(new Set(all.map((r) => r.ip_address)).size, all.length);
    const ports = await database.db.selectFrom('ports').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    assert.equal(Number(ports?.n), 4, 'the lost attempt left no port behind');
  });
});
