// Identity as the openstack CLI (python3-openstackclient, Zed) sees it: the compatibility contract with Keystone v3.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cliSkipReason, secretsInLogs, startCloud } from './harness.ts';
import type { CliOptions, CliResult, RunningCloud } from './harness.ts';

const skip = cliSkipReason();

let cloud: RunningCloud;
/** Every secret the suite handles, by label: the last test checks that no log file holds one. */
const secrets = new Map<string, string>();

type Row = Record<string, unknown>;
interface Token { id: string; expires: string; project_id: string; user_id: string }
interface Member { userId: string; projectId: string; password: string; cloud: string }

const unique = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

function newPassword(label: string): string {
  const password = `P${randomBytes(18).toString('base64url')}`;
  secrets.set(label, password);
  return password;
}

const json = <T = Row>(args: string[], opts?: CliOptions): Promise<T> => cloud.openstackJson<T>(args, opts);
const ok = (args: string[], opts?: CliOptions): Promise<CliResult> => cloud.ok(args, opts);
const fails = (args: string[], why: RegExp, opts?: CliOptions): Promise<CliResult> => cloud.fails(args, why, opts);

async function issueToken(label: string, cloudName = 'stratus'): Promise<Token> {
  const token = await json<Token>(['token', 'issue'], { cloud: cloudName });
  secrets.set(label, token.id);
  return token;
}

/** CLI options that authenticate by exchanging `token` for a new one scoped to its project (the token auth method). */
const withToken = (token: Token): { args: string[]; opts: CliOptions } => ({
  args: ['--os-auth-type', 'token', '--os-token', token.id, '--os-auth-url', cloud.authUrl, '--os-project-id', token.project_id, '--os-identity-api-version', '3'],
  opts: { cloud: null },
});

/** CLI options that send `token` as X-Auth-Token on every call, so each call validates it. */
const sendingToken = (token: Token): { args: string[]; opts: CliOptions } => ({
  args: ['--os-auth-type', 'admin_token', '--os-token', token.id, '--os-endpoint', cloud.authUrl, '--os-identity-api-version', '3'],
  opts: { cloud: null },
});

/** A user with the member role on a project of their own, and a clouds.yaml entry named after them. */
async function createMember(prefix: string): Promise<Member> {
  const name = unique(prefix);
  const password = newPassword(`${prefix} password`);
  const [user, project] = await Promise.all([
    json(['user', 'create', '--password', password, name]),
    json(['project', 'create', name]),
  ]);
  await ok(['role', 'add', '--user', user.id as string, '--project', project.id as string, 'member']);
  cloud.addCloud(name, { username: name, password, projectId: project.id as string });
  return { userId: user.id as string, projectId: project.id as string, password, cloud: name };
}

const names = (rows: Row[], key = 'Name'): string[] => rows.map((r) => r[key] as string);

describe('identity through the openstack CLI', { skip }, () => {
  before(async () => {
    cloud = await startCloud();
    secrets.set('admin password', cloud.adminPassword);
  });
  after(async () => {
    if (!cloud) return;
    // After a failure the cloud may still run; stop() is idempotent and its verdict was already asserted when it matters.
    await cloud.stop().catch(() => undefined);
    rmSync(cloud.dataDir, { recursive: true, force: true });
  });

  describe('one running cloud', { concurrency: 4 }, () => {
    it('token issue returns a token that authenticates until it is revoked', async () => {
      const token = await issueToken('admin token');
      assert.deepEqual(Object.keys(token).sort(), ['expires', 'id', 'project_id', 'user_id']);
      assert.ok(Date.parse(token.expires) > Date.now() + 30 * 60_000, `expires ${token.expires} should be about an hour away`);
      const byToken = withToken(token);
      const project = await json([...byToken.args, 'project', 'show', token.project_id], byToken.opts);
      assert.equal(project.name, 'admin');

      await ok(['token', 'revoke', token.id]);
      await fails([...byToken.args, 'project', 'show', token.project_id], /HTTP 401|authentication/i, byToken.opts);
    });

    it('the catalog, endpoint list and version discovery show identity on the public, internal and admin interfaces', async () => {
      const [catalog, endpoints, versions] = await Promise.all([
        json<Row[]>(['catalog', 'list']),
        json<Row[]>(['endpoint', 'list']),
        json<Row[]>(['versions', 'show', '--service', 'identity']),
      ]);
      const identity = catalog.find((s) => s.Type === 'identity');
      assert.ok(identity, `no identity service in ${JSON.stringify(catalog)}`);
      assert.equal(identity.Name, 'keystone');
      const catalogEndpoints = identity.Endpoints as Row[];
      assert.deepEqual(catalogEndpoints.map((e) => e.interface).sort(), ['admin', 'internal', 'public']);
      for (const e of catalogEndpoints) {
        assert.equal(e.url, cloud.authUrl);
        assert.equal(e.region, 'RegionOne');
      }

      const listed = endpoints.filter((e) => e['Service Type'] === 'identity');
      assert.deepEqual(listed.map((e) => e.Interface).sort(), ['admin', 'internal', 'public']);
      assert.ok(listed.every((e) => e.Enabled === true && e.URL === cloud.authUrl && e['Service Name'] === 'keystone'), JSON.stringify(listed));
      assert.deepEqual(listed.map((e) => e.ID).sort(), catalogEndpoints.map((e) => e.id).sort());

      const v3 = versions.find((v) => v['Service Type'] === 'identity');
      assert.ok(v3, `no identity version in ${JSON.stringify(versions)}`);
      assert.equal(v3.Status, 'CURRENT');
      assert.match(String(v3.Version), /^3\.\d+$/);
      assert.equal(String(v3.Endpoint).replace(/\/$/, ''), cloud.authUrl);
    });

    it('a domain is created, listed, shown, disabled and deleted', async () => {
      const name = unique('domain');
      const created = await json(['domain', 'create', '--description', 'compat domain', name]);
      assert.equal(created.name, name);
      assert.equal(created.description, 'compat domain');
      assert.equal(created.enabled, true);

      const [list] = await Promise.all([json<Row[]>(['domain', 'list']), ok(['domain', 'set', '--disable', name])]);
      assert.ok(list.some((d) => d.ID === created.id && d.Name === name), JSON.stringify(list));
      assert.ok(list.some((d) => d.ID === 'default' && d.Name === 'Default'));
      const shown = await json(['domain', 'show', name]);
      assert.equal(shown.id, created.id);
      assert.equal(shown.enabled, false);

      await ok(['domain', 'delete', name]);
      await fails(['domain', 'show', created.id as string], /No domain with a name or ID/);
    });

    it('projects nest under a parent, carry tags, are updated, and a parent cannot be deleted before its child', async () => {
      const parentName = unique('parent');
      const childName = unique('child');
      const parent = await json(['project', 'create', '--description', 'compat parent', parentName]);
      assert.equal(parent.domain_id, 'default');
      assert.equal(parent.parent_id, 'default');
      const child = await json(['project', 'create', '--parent', parentName, '--tag', 'alpha', '--tag', 'beta', childName]);
      assert.equal(child.parent_id, parent.id);
      assert.deepEqual((child.tags as string[]).sort(), ['alpha', 'beta']);

      const [list, tagged] = await Promise.all([
        json<Row[]>(['project', 'list']),
        json<Row[]>(['project', 'list', '--tags', 'alpha']),
      ]);
      assert.ok(names(list).includes(parentName) && names(list).includes(childName), JSON.stringify(list));
      assert.ok(names(tagged).includes(childName) && !names(tagged).includes(parentName), JSON.stringify(tagged));

      const renamed = `${childName}-renamed`;
      await ok(['project', 'set', '--name', renamed, '--description', 'changed', '--disable', '--tag', 'gamma', childName]);
      const updated = await json(['project', 'show', child.id as string]);
      assert.equal(updated.name, renamed);
      assert.equal(updated.parent_id, parent.id);
      assert.equal(updated.description, 'changed');
      assert.equal(updated.enabled, false);
      assert.deepEqual((updated.tags as string[]).sort(), ['alpha', 'beta', 'gamma']);

      await fails(['project', 'delete', parentName], /not a leaf|HTTP 403/);
      await ok(['project', 'delete', renamed, parentName]);
      const remaining = names(await json<Row[]>(['project', 'list']));
      assert.ok(!remaining.includes(parentName) && !remaining.includes(renamed), JSON.stringify(remaining));
    });

    it('a user is created with a password that works, listed, updated, disabled and deleted', async () => {
      const name = unique('user');
      const password = newPassword('user password');
      const project = await json(['project', 'create', unique('user-home')]);
      const user = await json(['user', 'create', '--password', password, '--email', `${name}@example.org`, '--description', 'compat user', '--project', project.id as string, name]);
      assert.equal(user.name, name);
      assert.equal(user.email, `${name}@example.org`);
      assert.equal(user.default_project_id, project.id);
      assert.equal(user.domain_id, 'default');
      assert.equal(user.enabled, true);
      assert.ok(!('password' in user), 'the password must not be echoed back');

      const [, list] = await Promise.all([
        ok(['role', 'add', '--user', user.id as string, '--project', project.id as string, 'member']),
        json<Row[]>(['user', 'list', '--long']),
      ]);
      const listed = list.find((u) => u.ID === user.id);
      assert.ok(listed, JSON.stringify(list));
      assert.equal(listed.Email, `${name}@example.org`);
      assert.equal(listed.Enabled, true);

      cloud.addCloud(name, { username: name, password, projectId: project.id as string });
      const token = await issueToken('user token', name);
      assert.equal(token.user_id, user.id);
      assert.equal(token.project_id, project.id);

      await ok(['user', 'set', '--email', `${name}@example.com`, '--disable', name]);
      const [shown] = await Promise.all([
        json(['user', 'show', name]),
        fails(['token', 'issue'], /HTTP 401|authentication/i, { cloud: name }),
      ]);
      assert.equal(shown.email, `${name}@example.com`);
      assert.equal(shown.enabled, false);

      await ok(['user', 'delete', name]);
      await fails(['user', 'show', name], /No user with a name or ID/);
    });

    it('group membership is added, checked and removed, and an inherited group role reaches the user on child projects', async () => {
      const [userName, groupName, roleName, parentName, childName] = ['member', 'group', 'role', 'tree', 'leaf'].map(unique);
      const [user, group, role, parent] = await Promise.all([
        json(['user', 'create', '--password', newPassword('group member password'), userName]),
        json(['group', 'create', '--description', 'compat group', groupName]),
        json(['role', 'create', roleName]),
        json(['project', 'create', parentName]),
      ]);
      assert.equal(group.name, groupName);
      assert.equal(role.name, roleName);
      await Promise.all([
        json(['project', 'create', '--parent', parent.id as string, childName]),
        ok(['group', 'add', 'user', groupName, userName]),
      ]);

      const [contains] = await Promise.all([
        ok(['group', 'contains', 'user', groupName, userName]),
        ok(['role', 'add', '--group', groupName, '--project', parentName, '--inherited', roleName]),
      ]);
      assert.match(contains.stdout, new RegExp(`${userName} in group ${groupName}`));
      const [effective, raw] = await Promise.all([
        json<Row[]>(['role', 'assignment', 'list', '--effective', '--names', '--user', user.id as string]),
        json<Row[]>(['role', 'assignment', 'list', '--names', '--group', group.id as string]),
      ]);
      assert.deepEqual(raw.map((a) => [a.Role, a.Group, a.Project, a.Inherited]), [[roleName, `${groupName}@Default`, `${parentName}@Default`, true]]);
      // Effective: the group becomes its member and the inheritance becomes the child project (not the parent itself),
      // still flagged as inherited, as Keystone does.
      assert.deepEqual(effective.map((a) => [a.Role, a.User, a.Group, a.Project, a.Inherited]), [[roleName, `${userName}@Default`, '', `${childName}@Default`, true]]);

      await ok(['group', 'remove', 'user', groupName, userName]);
      const [notContained, effectiveAfter] = await Promise.all([
        ok(['group', 'contains', 'user', groupName, userName]),
        json<Row[]>(['role', 'assignment', 'list', '--effective', '--names', '--user', user.id as string]),
      ]);
      assert.match(notContained.stderr, new RegExp(`${userName} not in group ${groupName}`));
      assert.deepEqual(effectiveAfter, []);
    });

    it('roles are created, implied, granted on a project and on the system, removed and deleted', async () => {
      const [priorName, impliedName, userName, projectName] = ['prior', 'implied', 'grantee', 'granted'].map(unique);
      const [prior, implied, user, project] = await Promise.all([
        json(['role', 'create', priorName]),
        json(['role', 'create', impliedName]),
        json(['user', 'create', '--password', newPassword('grantee password'), userName]),
        json(['project', 'create', projectName]),
      ]);
      const rule = await json(['implied', 'role', 'create', priorName, '--implied-role', impliedName]);
      assert.deepEqual(rule, { prior_role: prior.id, implies: implied.id });

      const userId = user.id as string;
      const [roles, rules] = await Promise.all([
        json<Row[]>(['role', 'list']),
        json<Row[]>(['implied', 'role', 'list']),
        ok(['role', 'add', '--project', projectName, '--user', userId, priorName]),
        ok(['role', 'add', '--system', 'all', '--user', userId, 'reader']),
      ]);
      for (const name of [priorName, impliedName, 'admin', 'member', 'reader']) assert.ok(names(roles).includes(name), `${name} missing from ${JSON.stringify(roles)}`);
      assert.ok(rules.some((r) => r['Prior Role Name'] === priorName && r['Implied Role Name'] === impliedName), JSON.stringify(rules));
      assert.ok(rules.some((r) => r['Prior Role Name'] === 'admin' && r['Implied Role Name'] === 'member'), 'the bootstrap implies member from admin');

      const view = (rows: Row[]) => rows.map((a) => `${a.Role} ${a.Project || ''}${a.System ? `system:${a.System}` : ''}`).sort();
      const [assigned, effective] = await Promise.all([
        json<Row[]>(['role', 'assignment', 'list', '--names', '--user', userId]),
        json<Row[]>(['role', 'assignment', 'list', '--effective', '--names', '--user', userId]),
      ]);
      assert.deepEqual(view(assigned), [`${priorName} ${projectName}@Default`, 'reader system:all']);
      assert.deepEqual(view(effective), [`${impliedName} ${projectName}@Default`, `${priorName} ${projectName}@Default`, 'reader system:all'].sort());

      await Promise.all([
        ok(['role', 'remove', '--project', project.id as string, '--user', userId, priorName]),
        ok(['role', 'remove', '--system', 'all', '--user', userId, 'reader']),
      ]);
      assert.deepEqual(await json<Row[]>(['role', 'assignment', 'list', '--user', userId]), []);

      await ok(['role', 'delete', priorName]);
      const rolesAfter = await json<Row[]>(['role', 'list']);
      assert.ok(!names(rolesAfter).includes(priorName) && names(rolesAfter).includes(impliedName));
    });

    it('an application credential authenticates until it is deleted, and its tokens die with it', async () => {
      const member = await createMember('appcred');
      const name = unique('cred');
      const cred = await json(['application', 'credential', 'create', '--description', 'compat credential', name], { cloud: member.cloud });
      assert.equal(cred.name, name);
      assert.equal(cred.user_id, member.userId);
      assert.equal(cred.project_id, member.projectId);
      assert.equal(typeof cred.secret, 'string');
      assert.match(String(cred.roles), /\bmember\b/);
      secrets.set('application credential secret', cred.secret as string);

      const credCloud = `${name}-cloud`;
      cloud.addCloud(credCloud, { applicationCredentialId: cred.id as string, applicationCredentialSecret: cred.secret as string });
      const token = await issueToken('application credential token', credCloud);
      assert.equal(token.user_id, member.userId);
      assert.equal(token.project_id, member.projectId);
      const sending = sendingToken(token);
      assert.equal((await json([...sending.args, 'project', 'show', member.projectId], sending.opts)).id, member.projectId);

      await ok(['application', 'credential', 'delete', name], { cloud: member.cloud });
      await Promise.all([
        fails(['token', 'issue'], /HTTP 401|authentication/i, { cloud: credCloud }),
        fails([...sending.args, 'project', 'show', member.projectId], /HTTP 401|authentication/i, sending.opts),
      ]);
    });

    it('a member cannot grant themselves admin (403), and changing their own password retires the old one and its tokens', async () => {
      const member = await createMember('self-service');
      const denied = await fails(['role', 'add', '--user', member.userId, '--project', member.projectId, 'admin'], /HTTP 403/, { cloud: member.cloud });
      assert.match(denied.stderr, /identity:create_grant|not authorized|Policy/i);
      const roles = await json<Row[]>(['role', 'assignment', 'list', '--names', '--user', member.userId, '--project', member.projectId]);
      assert.deepEqual(roles.map((a) => a.Role), ['member']);

      const before = await issueToken('token before password change', member.cloud);
      const newPass = newPassword('changed password');
      await ok(['user', 'password', 'set', '--original-password', member.password, '--password', newPass], { cloud: member.cloud });
      const sending = sendingToken(before);
      await Promise.all([
        fails(['token', 'issue'], /HTTP 401|authentication/i, { cloud: member.cloud }),
        fails([...sending.args, 'project', 'show', member.projectId], /HTTP 401|authentication/i, sending.opts),
      ]);
      cloud.addCloud(member.cloud, { username: member.cloud, password: newPass, projectId: member.projectId });
      assert.equal((await issueToken('token after password change', member.cloud)).user_id, member.userId);
    });
  });

  it('a restart on the same data directory keeps projects and honours tokens issued before it', async () => {
    const name = unique('persistent');
    const [project, token] = await Promise.all([json(['project', 'create', name]), issueToken('token before restart')]);
    await cloud.stop();
    // The second run logs at debug level, so the secrets check below also covers the most talkative logs.
    cloud = await startCloud({ dataDir: cloud.dataDir, ports: cloud.ports, adminPassword: cloud.adminPassword, logLevel: 'debug' });
    const byToken = withToken(token);
    const [shown, exchanged] = await Promise.all([
      json(['project', 'show', name]),
      json<Token>([...byToken.args, 'token', 'issue'], byToken.opts),
    ]);
    assert.equal(shown.id, project.id);
    secrets.set('token exchanged after restart', exchanged.id);
    assert.equal(exchanged.user_id, token.user_id);
    assert.equal(exchanged.project_id, token.project_id);
    assert.equal(exchanged.expires, token.expires, 'a token obtained with the old token keeps its expiry');
  });

  it('the cloud shuts down cleanly on SIGTERM and no log file holds a password, secret or token', async () => {
    await cloud.stop();
    const { files, bytes, leaks } = secretsInLogs(cloud.dataDir, secrets);
    assert.ok(files.length > 0 && bytes > 0, `expected log output under ${cloud.dataDir}, found ${files.length} files, ${bytes} bytes`);
    assert.ok(secrets.size >= 10, `the suite should have collected its secrets, got ${[...secrets.keys()].join(', ')}`);
    assert.deepEqual(leaks, []);
  });
});
