// The Image service's migrations, in the order they apply.
import type { Migration } from '#lib/db/index.ts';
import { imageMigrations as initialMigrations } from './001-initial.ts';
import { locationsMigrations } from './002-locations.ts';

export const imageMigrations: Migration[] = [...initialMigrations, ...locationsMigrations];
