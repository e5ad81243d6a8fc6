// Console auth tokens (Nova's console_auth_tokens): one row per remote console URL handed out, keyed by the token's
// SHA-256 so the database never holds a usable token. The proxy deletes the row on first use; expired rows are purged.
import type { Kysely } from 'kysely';
import type { Migration } from '#lib/db/index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
type AnyDb = Kysely<any>;
const step = (name: string, up: (db: AnyDb) => Promise<unknown>): Migration => ({ name, async up(db) { await up(db); } });

export const consoleAuthTokensMigrations: Migration[] = [
  step('compute-console-auth-tokens', (db) => db.schema.createTable('console_auth_tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('instance_uuid', 'varchar(64)', (c) => c.notNull())
    .addColumn('console_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('socket_path', 'varchar(1024)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute()),
  // Deleting a server removes its tokens; purging finds the expired ones.
  step('compute-console-auth-tokens-instance-index', (db) => db.schema.createIndex('console_auth_tokens_instance_idx')
    .on('console_auth_tokens').column('instance_uuid').execute()),
  step('compute-console-auth-tokens-expiry-index', (db) => db.schema.createIndex('console_auth_tokens_expires_idx')
    .on('console_auth_tokens').column('expires_at').execute()),
];
