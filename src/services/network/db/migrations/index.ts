// Networking's migrations, in the order they apply.
import type { Migration } from '#lib/db/index.ts';
import { initial } from './001-initial.ts';
import { routerRoutes } from './002-router-routes.ts';
import { agents } from './003-agents.ts';

export const networkMigrations: Migration[] = [initial, routerRoutes, agents];
