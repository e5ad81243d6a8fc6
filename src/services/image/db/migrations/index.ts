// The Image service's migrations, in the order they apply.
import type { Migration } from '#lib/db/index.ts';
import { imageMigrations as initialMigrations } from './001-initial.ts';
import { locationsMigrations } from './002-locations.ts';
import { importTasksMigrations } from './003-import-tasks.ts';

export const imageMigrations: Migration[] = [...initialMigrations, ...locationsMigrations, ...importTasksMigrations];
