import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { dropDatabase, openDatabase } from '#lib/db/index.ts';
import { skipUnlessReachable, testServerUrls } from '#lib/test-servers.ts';
import { createIdentityService, identityOptions } from '../roles.ts';
import type { IdentityService } from '../roles.ts';

/** The same Identity flows on each server database the scale-out deployment supports. */
for (const [dialect, serverUrl] of [['PostgreSQL', testServerUrls.postgres], ['MariaDB', testServerUrls.mysql]] as const) {
  const dbUrl = serverUrl.replace(/\/[^/]*$/, `/stratus_idtest_${randomBytes(4).toString('hex')}`);
  const skip = await skipUnlessReachable(dialect, async () => (await openDatabase({ url: serverUrl })).close());

  describe(`identity on ${dialect}`, { skip }, () => {
    let identity: IdentityService;
    let base: string;
    let token: string;
    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'identity-db-'));
      identity = await createIdentityService({
        options: resolveOptions('identity', identityOptions, { password_hash_log2n: 10 }, {}), databaseUrl: dbUrl,
        keysDir: join(dir, 'keys'), log: silentLogger(), publicUrl: 'http://127.0.0.1',
        bootstrap: { adminPassword: 'secret', region: 'RegionOne', serviceUsers: [], catalog: [] },
      });
      base = await identity.listen('127.0.0.1', 0);
      const res = await fetch(`${base}/v3/auth/tokens`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret' } } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } }),
      });
      assert.equal(res.status, 201);
      token = res.headers.get('x-subject-token')!;
    });
    after(async () => {
      await identity?.close();
      await dropDatabase(dbUrl);
    });

    const call = (method: string, path: string, body?: unknown) => fetch(`${base}${path}`, {
      method, headers: { 'x-auth-token': token, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });

    it('creates a project once and answers a duplicate name with 409, also under concurrency', async () => {
      const attempts = await Promise.all([1, 2, 3, 4].map(() => call('POST', '/v3/projects', { project: { name: 'race', domain_id: 'default' } })));
      assert.deepEqual(attempts.map((r) => r.status).sort(), [201, 409, 409, 409]);
      const list = await (await call('GET', '/v3/projects?name=race')).json() as { projects: unknown[] };
      assert.equal(list.projects.length, 1);
    });

    it('names differing only in case are different users, as on SQLite', async () => {
      assert.equal((await call('POST', '/v3/users', { user: { name: 'Case', domain_id: 'default' } })).status, 201);
      assert.equal((await call('POST', '/v3/users', { user: { name: 'case', domain_id: 'default' } })).status, 201);
    });
  });
}
