import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { resolveOptions } from '#lib/config/options.ts';
import { createIdentityService, identityOptions } from '../roles.ts';
import type { IdentityService } from '../roles.ts';
import Fastify from 'fastify';
import { installAuth } from '#lib/auth/middleware.ts';
import { createIdentityClient, createRemoteTokenValidator, createServiceSession, watchRevocations } from './client.ts';

describe('identity client, as another service uses it', () => {
  let identity: IdentityService;
  let authUrl: string;
  let novaPassword: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'identity-client-'));
    identity = await createIdentityService({
      options: resolveOptions('identity', identityOptions, { password_hash_log2n: 10 }, {}), databaseUrl: `sqlite://${dir}/identity.sqlite`,
      keysDir: join(dir, 'keys'), log: silentLogger(), publicUrl: 'http://127.0.0.1',
      bootstrap: { adminPassword: 'secret', region: 'RegionOne', serviceUsers: ['nova'], catalog: [] },
    });
    const url = await identity.listen('127.0.0.1', 0);
    authUrl = `${url}/v3`;
    novaPassword = identity.bootstrapResult!.servicePasswords.nova;
  });
  after(() => identity.close());

  it('a service validates a user token with its own service token and gets the user\'s credentials', async () => {
    const client = createIdentityClient({ authUrl });
    const user = await client.issueToken({ userName: 'admin', password: 'secret', projectName: 'admin' });
    const session = createServiceSession(client, { userName: 'nova', password: novaPassword, projectName: 'service' });
    const creds = await createRemoteTokenValidator(client, session).validate(user.token);
    assert.equal(creds.userName, 'admin');
    assert.equal(creds.scope.kind, 'project');
    assert.deepEqual([...creds.roles].sort(), ['admin', 'member', 'reader']);
    assert.equal(await session.token(), await session.token(), 'the service token is reused, not fetched per call');
  });

  it('a garbled token is refused with a 404 from Identity', async () => {
    const client = createIdentityClient({ authUrl });
    const session = createServiceSession(client, { userName: 'nova', password: novaPassword, projectName: 'service' });
    await assert.rejects(createRemoteTokenValidator(client, session).validate('garbage-token-that-is-long-enough-to-try-decrypting-it'), (e: { status: number }) => e.status === 404);
  });

  it('a service caches validations and drops them once Identity publishes a revocation', async () => {
    const client = createIdentityClient({ authUrl });
    const session = createServiceSession(client, { userName: 'nova', password: novaPassword, projectName: 'service' });
    const app = Fastify();
    app.decorateRequest('ctx', undefined as never);
    app.addHook('onRequest', async (req) => { req.ctx = { requestId: 'r', globalRequestId: 'r', log: silentLogger() }; });
    app.setErrorHandler((err: { status?: number }, _req, reply) => reply.code(err.status ?? 500).send());
    const auth = installAuth(app, { validator: createRemoteTokenValidator(client, session), cacheMs: 60_000 });
    app.get('/whoami', async (req) => ({ user: req.ctx.credentials?.userName }));
    const stop = watchRevocations({ client, session, intervalMs: 100, onRevoked: () => auth.flush() });
    try {
      const user = await client.issueToken({ userName: 'admin', password: 'secret', projectName: 'admin' });
      const ask = () => app.inject({ method: 'GET', url: '/whoami', headers: { 'x-auth-token': user.token } });
      assert.equal((await ask()).statusCode, 200);
      const revoked = await fetch(`${authUrl}/auth/tokens`, { method: 'DELETE', headers: { 'x-auth-token': user.token, 'x-subject-token': user.token } });
      assert.equal(revoked.status, 204);
      let status = 200;
      for (let i = 0; i < 50 && status === 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await ask()).statusCode;
      }
      assert.equal(status, 401, 'the cached validation was dropped after the revocation event');
    } finally {
      stop();
      await app.close();
    }
  });
});
