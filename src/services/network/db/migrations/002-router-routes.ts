// Extra routes of routers (extension extraroute): one row per route, a route at most once per router.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
type AnyDb = Kysely<any>;

export const routerRoutes: Migration = {
  name: 'network-002-router-routes',
  async up(db: AnyDb) {
    await db.schema.createTable('router_routes')
      .addColumn('router_id', 'varchar(64)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
      .addColumn('destination', 'varchar(64)', (c) => c.notNull())
      .addColumn('nexthop', 'varchar(64)', (c) => c.notNull())
      .addPrimaryKeyConstraint('router_routes_pk', ['router_id', 'destination', 'nexthop'])
      .execute();
  },
};
