// Identity's first schema: every resource Keystone v3 keeps, with the uniqueness rules the API promises.
import type { Kysely } from 'kysely';

const id = 'varchar(64)';
const name = 'varchar(255)';
const ts = 'varchar(32)';

export const initial = {
  name: 'identity-001-initial',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before the typed schema exists
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.createTable('domains')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('name', name, (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull()).addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull()).addColumn('created_at', ts, (c) => c.notNull()).execute();
    await db.schema.createTable('projects')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('name', name, (c) => c.notNull())
      .addColumn('domain_id', id, (c) => c.notNull().references('domains.id'))
      .addColumn('parent_id', id, (c) => c.references('projects.id'))
      .addColumn('description', 'text', (c) => c.notNull()).addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull()).addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addUniqueConstraint('uq_projects_domain_name', ['domain_id', 'name']).execute();
    await db.schema.createIndex('ix_projects_parent').on('projects').column('parent_id').execute();
    await db.schema.createTable('users')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('name', name, (c) => c.notNull())
      .addColumn('domain_id', id, (c) => c.notNull().references('domains.id'))
      .addColumn('enabled', 'boolean', (c) => c.notNull()).addColumn('password_hash', 'varchar(512)')
      .addColumn('default_project_id', id).addColumn('password_expires_at', ts)
      .addColumn('options', 'text', (c) => c.notNull()).addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addUniqueConstraint('uq_users_domain_name', ['domain_id', 'name']).execute();
    await db.schema.createTable('groups')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('name', name, (c) => c.notNull())
      .addColumn('domain_id', id, (c) => c.notNull().references('domains.id'))
      .addColumn('description', 'text', (c) => c.notNull()).addColumn('extra', 'text', (c) => c.notNull())
      .addUniqueConstraint('uq_groups_domain_name', ['domain_id', 'name']).execute();
    await db.schema.createTable('user_group_membership')
      .addColumn('user_id', id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('group_id', id, (c) => c.notNull().references('groups.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('pk_user_group_membership', ['user_id', 'group_id']).execute();
    await db.schema.createIndex('ix_membership_group').on('user_group_membership').column('group_id').execute();
    await db.schema.createTable('roles')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('name', name, (c) => c.notNull())
      .addColumn('domain_id', id, (c) => c.notNull()).addColumn('description', 'text', (c) => c.notNull())
      .addColumn('options', 'text', (c) => c.notNull())
      .addUniqueConstraint('uq_roles_name_domain', ['name', 'domain_id']).execute();
    await db.schema.createTable('implied_roles')
      .addColumn('prior_role_id', id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
      .addColumn('implied_role_id', id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
      .addPrimaryKeyConstraint('pk_implied_roles', ['prior_role_id', 'implied_role_id']).execute();
    await db.schema.createTable('assignments')
      .addColumn('type', 'varchar(16)', (c) => c.notNull()).addColumn('actor_id', id, (c) => c.notNull())
      .addColumn('target_id', id, (c) => c.notNull())
      .addColumn('role_id', id, (c) => c.notNull().references('roles.id').onDelete('cascade'))
      .addColumn('inherited', 'boolean', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_assignments', ['type', 'actor_id', 'target_id', 'role_id', 'inherited']).execute();
    await db.schema.createIndex('ix_assignments_actor').on('assignments').column('actor_id').execute();
    await db.schema.createIndex('ix_assignments_target').on('assignments').column('target_id').execute();
    await db.schema.createTable('regions')
      .addColumn('id', name, (c) => c.primaryKey()).addColumn('description', 'text', (c) => c.notNull())
      .addColumn('parent_region_id', name).addColumn('extra', 'text', (c) => c.notNull()).execute();
    await db.schema.createTable('services')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('type', name, (c) => c.notNull())
      .addColumn('name', name, (c) => c.notNull()).addColumn('description', 'text', (c) => c.notNull())
      .addColumn('enabled', 'boolean', (c) => c.notNull()).addColumn('extra', 'text', (c) => c.notNull()).execute();
    await db.schema.createTable('endpoints')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('service_id', id, (c) => c.notNull().references('services.id'))
      .addColumn('region_id', name).addColumn('interface', 'varchar(8)', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull()).addColumn('enabled', 'boolean', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull()).execute();
    await db.schema.createTable('application_credentials')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('name', name, (c) => c.notNull())
      .addColumn('user_id', id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('project_id', id, (c) => c.notNull()).addColumn('secret_hash', 'varchar(512)', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull()).addColumn('expires_at', ts)
      .addColumn('unrestricted', 'boolean', (c) => c.notNull()).addColumn('created_at', ts, (c) => c.notNull())
      .addUniqueConstraint('uq_app_creds_user_name', ['user_id', 'name']).execute();
    await db.schema.createTable('application_credential_roles')
      .addColumn('application_credential_id', id, (c) => c.notNull().references('application_credentials.id').onDelete('cascade'))
      .addColumn('role_id', id, (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_app_cred_roles', ['application_credential_id', 'role_id']).execute();
    await db.schema.createTable('credentials')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('user_id', id, (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('project_id', id).addColumn('type', name, (c) => c.notNull())
      .addColumn('encrypted_blob', 'text', (c) => c.notNull()).addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('extra', 'text', (c) => c.notNull()).execute();
    await db.schema.createTable('trusts')
      .addColumn('id', id, (c) => c.primaryKey()).addColumn('trustor_user_id', id, (c) => c.notNull())
      .addColumn('trustee_user_id', id, (c) => c.notNull()).addColumn('project_id', id)
      .addColumn('impersonation', 'boolean', (c) => c.notNull()).addColumn('expires_at', ts)
      .addColumn('remaining_uses', 'integer').addColumn('redelegation_count', 'integer', (c) => c.notNull())
      .addColumn('deleted_at', ts).addColumn('extra', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull()).execute();
    await db.schema.createTable('trust_roles')
      .addColumn('trust_id', id, (c) => c.notNull().references('trusts.id').onDelete('cascade'))
      .addColumn('role_id', id, (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_trust_roles', ['trust_id', 'role_id']).execute();
    await db.schema.createTable('revocation_events')
      .addColumn('id', id, (c) => c.primaryKey())
      .addColumn('user_id', id).addColumn('project_id', id).addColumn('domain_id', id).addColumn('role_id', id)
      .addColumn('trust_id', id).addColumn('audit_id', id).addColumn('audit_chain_id', id).addColumn('app_cred_id', id)
      .addColumn('issued_before', 'bigint', (c) => c.notNull()).addColumn('revoked_at', 'bigint', (c) => c.notNull()).execute();
    await db.schema.createIndex('ix_revocation_revoked_at').on('revocation_events').column('revoked_at').execute();
  },
};

export const identityMigrations = [initial];
