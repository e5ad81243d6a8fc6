// First-start bootstrap, idempotent on every start: the Default domain, roles with their implications, the admin and
// service projects, the admin user (admin on the admin project and on the system), service users and the catalog.
import { randomBytes } from 'node:crypto';
import type { IdentityDb } from './db/tables.ts';
import { newId, nowIso } from './db/crud.ts';
import { hashSecret } from './domain/password-hash.ts';
import type { HashCost } from './domain/password-hash.ts';

export interface CatalogServiceSpec {
  type: string;
  name: string;
  /** Public, internal and admin URL (one URL for all three). */
  url: string;
}

export interface BootstrapSpec {
  /** Used when the admin user is created, or to reset its password when given explicitly. */
  adminPassword?: string;
  region: string;
  /** Service users, one per service name, with the service role in the service project. */
  serviceUsers: string[];
  /**
   * Service users whose passwords the caller holds (stored in the data directory). An existing service user not in
   * this list gets a new password — a first start cut off before it stored them must not leave the cloud unusable.
   */
  knownServicePasswords?: string[];
  catalog: CatalogServiceSpec[];
}

export interface BootstrapResult {
  /** Set only when the admin user was created or its password reset on this start. */
  adminPassword?: string;
  /** Passwords of service users created (or given a new password) on this start. */
  servicePasswords: Record<string, string>;
}

export async function bootstrapIdentity(db: IdentityDb, spec: BootstrapSpec, cost: HashCost): Promise<BootstrapResult> {
  const result: BootstrapResult = { servicePasswords: {} };
  const now = nowIso();
  if (!(await db.selectFrom('domains').select('id').where('id', '=', 'default').executeTakeFirst())) {
    await db.insertInto('domains').values({ id: 'default', name: 'Default', description: 'The default domain', enabled: true, extra: '{}', created_at: now }).execute();
  }
  const roleId = async (name: string): Promise<string> => {
    const found = await db.selectFrom('roles').select('id').where('name', '=', name).where('domain_id', '=', '').executeTakeFirst();
    if (found) return found.id;
    const id = newId();
    await db.insertInto('roles').values({ id, name, domain_id: '', description: '', options: JSON.stringify({ immutable: true }) }).execute();
    return id;
  };
  const [admin, member, reader, service] = [await roleId('admin'), await roleId('member'), await roleId('reader'), await roleId('service')];
  for (const [prior, implied] of [[admin, member], [member, reader]]) {
    const has = await db.selectFrom('implied_roles').selectAll().where('prior_role_id', '=', prior).where('implied_role_id', '=', implied).executeTakeFirst();
    if (!has) await db.insertInto('implied_roles').values({ prior_role_id: prior, implied_role_id: implied }).execute();
  }
  const projectId = async (name: string, description: string): Promise<string> => {
    const found = await db.selectFrom('projects').select('id').where('domain_id', '=', 'default').where('name', '=', name).executeTakeFirst();
    if (found) return found.id;
    const id = newId();
    await db.insertInto('projects').values({ id, name, domain_id: 'default', parent_id: null, description, enabled: true, tags: '[]', extra: '{}', created_at: now }).execute();
    return id;
  };
  const adminProject = await projectId('admin', 'Bootstrap project for initializing the cloud.');
  const serviceProject = await projectId('service', 'Project of the service users.');
  const grant = async (type: 'UserProject' | 'UserSystem', actor: string, target: string, role: string) => {
    const has = await db.selectFrom('assignments').selectAll().where('type', '=', type).where('actor_id', '=', actor)
      .where('target_id', '=', target).where('role_id', '=', role).executeTakeFirst();
    if (!has) await db.insertInto('assignments').values({ type, actor_id: actor, target_id: target, role_id: role, inherited: false }).execute();
  };
  const user = async (name: string, password: string | undefined, defaultProject: string): Promise<{ id: string; created: boolean }> => {
    const found = await db.selectFrom('users').select('id').where('domain_id', '=', 'default').where('name', '=', name).executeTakeFirst();
    if (found) return { id: found.id, created: false };
    const id = newId();
    await db.insertInto('users').values({
      id, name, domain_id: 'default', enabled: true, password_hash: password ? await hashSecret(password, cost) : null,
      default_project_id: defaultProject, password_expires_at: null, options: '{}', extra: '{}', created_at: now,
    }).execute();
    return { id, created: true };
  };

  const adminPassword = spec.adminPassword ?? randomBytes(18).toString('base64url');
  const adminUser = await user('admin', adminPassword, adminProject);
  if (adminUser.created) result.adminPassword = adminPassword;
  else if (spec.adminPassword) {
    await db.updateTable('users').set({ password_hash: await hashSecret(spec.adminPassword, cost) }).where('id', '=', adminUser.id).execute();
    result.adminPassword = spec.adminPassword;
  }
  await grant('UserProject', adminUser.id, adminProject, admin);
  await grant('UserSystem', adminUser.id, 'system', admin);

  for (const name of spec.serviceUsers) {
    const password = randomBytes(24).toString('base64url');
    const u = await user(name, password, serviceProject);
    if (u.created) result.servicePasswords[name] = password;
    else if (spec.knownServicePasswords && !spec.knownServicePasswords.includes(name)) {
      await db.updateTable('users').set({ password_hash: await hashSecret(password, cost) }).where('id', '=', u.id).execute();
      result.servicePasswords[name] = password;
    }
    await grant('UserProject', u.id, serviceProject, service);
  }

  if (!(await db.selectFrom('regions').select('id').where('id', '=', spec.region).executeTakeFirst())) {
    await db.insertInto('regions').values({ id: spec.region, description: '', parent_region_id: null, extra: '{}' }).execute();
  }
  for (const svc of spec.catalog) {
    let s = await db.selectFrom('services').select('id').where('type', '=', svc.type).executeTakeFirst();
    if (!s) {
      s = { id: newId() };
      await db.insertInto('services').values({ id: s.id, type: svc.type, name: svc.name, description: '', enabled: true, extra: '{}' }).execute();
    }
    for (const iface of ['public', 'internal', 'admin']) {
      const e = await db.selectFrom('endpoints').select(['id', 'url']).where('service_id', '=', s.id).where('interface', '=', iface).where('region_id', '=', spec.region).executeTakeFirst();
      if (!e) await db.insertInto('endpoints').values({ id: newId(), service_id: s.id, region_id: spec.region, interface: iface, url: svc.url, enabled: true, extra: '{}' }).execute();
      else if (e.url !== svc.url) await db.updateTable('endpoints').set({ url: svc.url }).where('id', '=', e.id).execute();
    }
  }
  return result;
}
