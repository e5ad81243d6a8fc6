// The boot flow's schema: instances and their metadata, instance actions and events (what `server event list` shows),
// compute services and nodes (what agents report), and key pairs. One DDL statement per migration, for MySQL.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

const id = 'varchar(255)';
const ts = 'varchar(32)';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
const step = (name: string, up: (db: Kysely<any>) => Promise<unknown>): Migration => ({ name, async up(db) { await up(db); } });

export const serversMigrations: Migration[] = [
  step('compute-003-instances', (db) => db.schema.createTable('instances')
    .addColumn('uuid', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('display_name', id, (c) => c.notNull())
    .addColumn('display_description', 'text')
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('image_ref', id, (c) => c.notNull())
    // The flavor as it was at boot (Nova keeps a copy too): later flavor changes do not change a running server.
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('root_gb', 'integer', (c) => c.notNull())
    .addColumn('key_name', id)
    .addColumn('key_data', 'text')
    .addColumn('user_data', 'text')
    .addColumn('availability_zone', id)
    .addColumn('hostname', id, (c) => c.notNull())
    .addColumn('host', id)
    .addColumn('node', id)
    .addColumn('vm_state', 'varchar(32)', (c) => c.notNull())
    .addColumn('task_state', 'varchar(32)')
    .addColumn('power_state', 'integer', (c) => c.notNull())
    .addColumn('config_drive', 'boolean', (c) => c.notNull())
    .addColumn('access_ip_v4', 'varchar(64)')
    .addColumn('access_ip_v6', 'varchar(64)')
    .addColumn('locked', 'boolean', (c) => c.notNull())
    .addColumn('locked_by', 'varchar(16)')
    .addColumn('reservation_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('launch_index', 'integer', (c) => c.notNull())
    .addColumn('requested_networks', 'text', (c) => c.notNull())
    .addColumn('security_groups', 'text', (c) => c.notNull())
    .addColumn('network_info', 'text', (c) => c.notNull())
    // The hosts already tried, for reschedules, and the scheduler hints: Nova's request spec, reduced.
    .addColumn('request_spec', 'text', (c) => c.notNull())
    .addColumn('fault', 'text')
    .addColumn('launched_at', ts)
    .addColumn('terminated_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addColumn('deleted_at', ts)
    .addColumn('deleted', 'boolean', (c) => c.notNull())
    .execute()),
  step('compute-004-instances-project-idx', (db) => db.schema.createIndex('instances_project_idx').on('instances').columns(['project_id', 'deleted']).execute()),
  step('compute-005-instances-host-idx', (db) => db.schema.createIndex('instances_host_idx').on('instances').columns(['host', 'deleted']).execute()),
  step('compute-006-instance-metadata', (db) => db.schema.createTable('instance_metadata')
    .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull().references('instances.uuid').onDelete('cascade'))
    .addColumn('key', id, (c) => c.notNull())
    .addColumn('value', id, (c) => c.notNull())
    .addPrimaryKeyConstraint('instance_metadata_pk', ['instance_uuid', 'key'])
    .execute()),
  step('compute-007-instance-actions', (db) => db.schema.createTable('instance_actions')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('request_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('global_request_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('start_time', ts, (c) => c.notNull())
    .addColumn('finish_time', ts)
    .addColumn('message', 'text')
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('instance_actions_request_uniq', ['instance_uuid', 'request_id'])
    .execute()),
  step('compute-008-instance-action-events', (db) => db.schema.createTable('instance_action_events')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('action_id', 'varchar(64)', (c) => c.notNull().references('instance_actions.id').onDelete('cascade'))
    .addColumn('event', 'varchar(64)', (c) => c.notNull())
    .addColumn('host', id)
    .addColumn('start_time', ts, (c) => c.notNull())
    .addColumn('finish_time', ts)
    .addColumn('result', 'varchar(32)')
    .addColumn('traceback', 'text')
    .addColumn('details', 'text')
    .execute()),
  step('compute-009-services', (db) => db.schema.createTable('compute_services')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('host', id, (c) => c.notNull())
    .addColumn('binary', 'varchar(64)', (c) => c.notNull())
    .addColumn('disabled', 'boolean', (c) => c.notNull())
    .addColumn('disabled_reason', id)
    .addColumn('forced_down', 'boolean', (c) => c.notNull())
    .addColumn('last_seen_up', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('compute_services_host_binary_uniq', ['host', 'binary'])
    .execute()),
  step('compute-010-nodes', (db) => db.schema.createTable('compute_nodes')
    // The node's uuid is its resource provider's uuid in Placement.
    .addColumn('uuid', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('host', id, (c) => c.notNull())
    .addColumn('hypervisor_hostname', id, (c) => c.notNull())
    .addColumn('hypervisor_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('hypervisor_version', 'integer', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('local_gb', 'integer', (c) => c.notNull())
    .addColumn('host_ip', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('compute_nodes_host_node_uniq', ['host', 'hypervisor_hostname'])
    .execute()),
  step('compute-011-key-pairs', (db) => db.schema.createTable('key_pairs')
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', id, (c) => c.notNull())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', id, (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('key_pairs_pk', ['user_id', 'name'])
    .execute()),
  step('compute-012-quotas', (db) => db.schema.createTable('quotas')
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource', 'varchar(64)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute()),
  step('compute-013-server-groups', (db) => db.schema.createTable('server_groups')
    .addColumn('uuid', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', id, (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('policy', 'varchar(32)', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute()),
  step('compute-014-server-group-members', (db) => db.schema.createTable('server_group_members')
    .addColumn('group_uuid', 'varchar(64)', (c) => c.notNull().references('server_groups.uuid').onDelete('cascade'))
    .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('server_group_members_pk', ['group_uuid', 'instance_uuid'])
    .execute()),
];
