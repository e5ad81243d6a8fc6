// Agents (extension agent) and which L3 agent hosts each router (l3_agent_scheduler): one row per agent type and
// host, kept fresh by the agents' heartbeats; a router is hosted by at most one agent (no HA routers).
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
type AnyDb = Kysely<any>;

export const agents: Migration = {
  name: 'network-003-agents',
  async up(db: AnyDb) {
    await db.schema.createTable('agents')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('agent_type', 'varchar(64)', (c) => c.notNull())
      .addColumn('binary', 'varchar(64)', (c) => c.notNull())
      .addColumn('topic', 'varchar(64)', (c) => c.notNull())
      .addColumn('host', 'varchar(255)', (c) => c.notNull())
      .addColumn('availability_zone', 'varchar(255)')
      .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
      .addColumn('description', 'varchar(255)', (c) => c.notNull())
      .addColumn('configurations', 'text', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('heartbeat_timestamp', 'varchar(32)', (c) => c.notNull())
      .addUniqueConstraint('agents_agent_type_host_uniq', ['agent_type', 'host'])
      .execute();
    await db.schema.createTable('router_l3_agent_bindings')
      .addColumn('router_id', 'varchar(64)', (c) => c.primaryKey().references('routers.id').onDelete('cascade'))
      .addColumn('l3_agent_id', 'varchar(64)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
      .execute();
    await db.schema.createIndex('router_l3_agent_bindings_agent_idx').on('router_l3_agent_bindings').column('l3_agent_id').execute();
  },
};
