// Compute's migrations in the order they apply; a landed migration is never edited, a new one is appended.
import type { Migration } from '#lib/db/index.ts';
import { defaultFlavors, initial } from './001-initial.ts';
import { serversMigrations } from './002-servers.ts';
import { eventIndex } from './003-event-index.ts';
import { blockDeviceMappings } from './004-block-device-mappings.ts';
import { aggregatesMigrations } from './005-aggregates-migrations.ts';
import { instancePasswords } from './006-instance-passwords.ts';
import { consoleAuthTokensMigrations } from './007-console-auth-tokens.ts';
import { bdmBootSourcesMigrations } from './008-bdm-boot-sources.ts';
import { instanceSystemMetadata } from './009-instance-system-metadata.ts';
import { instanceTags } from './010-instance-tags.ts';

export const computeMigrations: Migration[] = [initial, defaultFlavors, ...serversMigrations, eventIndex, blockDeviceMappings, ...aggregatesMigrations, instancePasswords, ...consoleAuthTokensMigrations, ...bdmBootSourcesMigrations, instanceSystemMetadata, instanceTags];
