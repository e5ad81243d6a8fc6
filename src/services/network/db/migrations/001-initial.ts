// Networking's first schema. Invariants live in keys: one address per network (ip_allocations), one MAC per network,
// one network per segment, one default security group per project, no duplicate rule in a group.
import type { CreateTableBuilder, Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

const id = 'varchar(64)';
const ts = 'varchar(32)';
const str = 'varchar(255)';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
type AnyDb = Kysely<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Table = CreateTableBuilder<any, any>;

/** Neutron's standard attributes, on every resource. */
const standard = (t: Table): Table => t
  .addColumn('id', id, (c) => c.primaryKey())
  .addColumn('project_id', id, (c) => c.notNull())
  .addColumn('description', str, (c) => c.notNull())
  .addColumn('revision_number', 'integer', (c) => c.notNull())
  .addColumn('created_at', ts, (c) => c.notNull())
  .addColumn('updated_at', ts, (c) => c.notNull());

// One DDL statement per step: MySQL commits each on its own.
const steps: ((db: AnyDb) => Promise<unknown>)[] = [
  (db) => standard(db.schema.createTable('networks'))
    .addColumn('name', str, (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('shared', 'boolean', (c) => c.notNull())
    .addColumn('router_external', 'boolean', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)')
    .addColumn('segmentation_id', 'integer')
    .execute(),
  (db) => db.schema.createIndex('networks_project_id_idx').on('networks').column('project_id').execute(),
  (db) => db.schema.createTable('segment_allocations')
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
    .addColumn('segmentation_id', 'integer', (c) => c.notNull())
    .addColumn('network_id', id, (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('segment_allocations_pk', ['network_type', 'physical_network', 'segmentation_id'])
    .execute(),
  (db) => standard(db.schema.createTable('subnets'))
    .addColumn('name', str, (c) => c.notNull())
    .addColumn('network_id', id, (c) => c.notNull().references('networks.id'))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addColumn('gateway_ip', 'varchar(64)')
    .addColumn('enable_dhcp', 'boolean', (c) => c.notNull())
    .addColumn('dns_nameservers', 'text', (c) => c.notNull())
    .addColumn('host_routes', 'text', (c) => c.notNull())
    .addColumn('allocation_pools', 'text', (c) => c.notNull())
    .addColumn('ipv6_ra_mode', 'varchar(32)')
    .addColumn('ipv6_address_mode', 'varchar(32)')
    .execute(),
  (db) => db.schema.createIndex('subnets_network_id_idx').on('subnets').column('network_id').execute(),
  (db) => standard(db.schema.createTable('ports'))
    .addColumn('name', str, (c) => c.notNull())
    .addColumn('network_id', id, (c) => c.notNull().references('networks.id'))
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('device_id', str, (c) => c.notNull())
    .addColumn('device_owner', str, (c) => c.notNull())
    .addColumn('binding_host_id', str, (c) => c.notNull())
    .addColumn('binding_vif_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('binding_vif_details', 'text', (c) => c.notNull())
    .addColumn('binding_profile', 'text', (c) => c.notNull())
    .addColumn('binding_vnic_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
    .addColumn('allowed_address_pairs', 'text', (c) => c.notNull())
    .addUniqueConstraint('ports_network_id_mac_address_uniq', ['network_id', 'mac_address'])
    .execute(),
  (db) => db.schema.createIndex('ports_device_id_idx').on('ports').column('device_id').execute(),
  (db) => db.schema.createTable('ip_allocations')
    .addColumn('network_id', id, (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('subnet_id', id, (c) => c.notNull().references('subnets.id'))
    .addColumn('port_id', id, (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('ip_allocations_pk', ['network_id', 'ip_address'])
    .execute(),
  (db) => db.schema.createIndex('ip_allocations_port_id_idx').on('ip_allocations').column('port_id').execute(),
  (db) => db.schema.createIndex('ip_allocations_subnet_id_idx').on('ip_allocations').column('subnet_id').execute(),
  (db) => standard(db.schema.createTable('security_groups'))
    .addColumn('name', str, (c) => c.notNull())
    .addColumn('stateful', 'boolean', (c) => c.notNull())
    .execute(),
  (db) => db.schema.createTable('default_security_groups')
    .addColumn('project_id', id, (c) => c.primaryKey())
    .addColumn('security_group_id', id, (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .execute(),
  (db) => standard(db.schema.createTable('security_group_rules'))
    .addColumn('security_group_id', id, (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(8)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(32)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(64)')
    .addColumn('remote_group_id', id)
    .addColumn('fingerprint', str, (c) => c.notNull())
    .addUniqueConstraint('security_group_rules_fingerprint_uniq', ['security_group_id', 'fingerprint'])
    .execute(),
  (db) => db.schema.createTable('port_security_groups')
    .addColumn('port_id', id, (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', id, (c) => c.notNull().references('security_groups.id'))
    .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
    .execute(),
  (db) => standard(db.schema.createTable('routers'))
    .addColumn('name', str, (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('gw_network_id', id)
    .addColumn('enable_snat', 'boolean', (c) => c.notNull())
    .execute(),
  (db) => standard(db.schema.createTable('floating_ips'))
    .addColumn('floating_network_id', id, (c) => c.notNull().references('networks.id'))
    .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('floating_port_id', id, (c) => c.notNull())
    .addColumn('port_id', id)
    .addColumn('fixed_ip_address', 'varchar(64)')
    .addColumn('router_id', id)
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addUniqueConstraint('floating_ips_fixed_uniq', ['floating_network_id', 'port_id', 'fixed_ip_address'])
    .execute(),
  (db) => db.schema.createTable('quotas')
    .addColumn('project_id', id, (c) => c.notNull())
    .addColumn('resource', 'varchar(64)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute(),
  (db) => db.schema.createTable('tags')
    .addColumn('resource_id', id, (c) => c.notNull())
    .addColumn('tag', str, (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', ['resource_id', 'tag'])
    .execute(),
];

export const initial: Migration = {
  name: 'network-001-initial',
  async up(db) {
    for (const step of steps) await step(db);
  },
};

