// The console proxies on their own: one-time, expiring tokens from the compute database; bytes both ways between a
// websocket and a console's unix socket; the Origin check; the noVNC page and every module it loads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import { computeMigrations } from '../db/migrations/index.ts';
import type { ComputeTables } from '../db/tables.ts';
import { consumeConsoleAuthToken, insertConsoleAuthToken } from '../db/console-auth-tokens-repo.ts';
import { hashConsoleToken, newConsoleToken } from '../domain/remote-consoles.ts';
import { createConsoleProxy } from './console-proxy.ts';
import type { ConsoleProxy } from './console-proxy.ts';
import { assertRefused, openConsole, startFakeConsoleSocket } from './test-console-socket.ts';
import type { FakeConsoleSocket } from './test-console-socket.ts';

const INSTANCE = '0d7e2a4c-5b1e-4f5e-9a63-3f1c2b7d9e10';

/** A raw GET, so paths reach the server exactly as written (fetch would fold '..'). */
function rawGet(base: string, path: string): Promise<{ status: number; type: string | undefined; csp: string | undefined; body: string }> {
  return new Promise((done, fail) => {
    const req = request(`${base}${path}`, { method: 'GET', path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({
        status: res.statusCode ?? 0, type: res.headers['content-type'], csp: res.headers['content-security-policy'] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('console proxies', () => {
  let dir: string;
  let database: Database<ComputeTables>;
  let vnc: FakeConsoleSocket;
  let serial: FakeConsoleSocket;
  let novncProxy: ConsoleProxy;
  let serialProxy: ConsoleProxy;
  let novncUrl: string;
  let serialUrl: string;
  // The proxies' clock: a test moves it past a token's expiry.
  let clock = Date.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-proxy-'));
    database = await openDatabase<ComputeTables>({ url: `sqlite://${dir}/compute.sqlite`, log: silentLogger() });
    await runMigrations(database, computeMigrations);
    vnc = await startFakeConsoleSocket('RFB 003.008\n');
    serial = await startFakeConsoleSocket('login: ');
    const common = { db: database.db, log: silentLogger(), allowedOrigins: ['dashboard.example'], now: () => new Date(clock) };
    novncProxy = createConsoleProxy({ ...common, type: 'novnc' });
    serialProxy = createConsoleProxy({ ...common, type: 'serial' });
    novncUrl = await novncProxy.listen('127.0.0.1', 0);
    serialUrl = await serialProxy.listen('127.0.0.1', 0);
  });
  after(async () => {
    await novncProxy?.close();
    await serialProxy?.close();
    await vnc?.close();
    await serial?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Records a token as compute-api does; returns the token itself. */
  async function grant(type: 'novnc' | 'serial', ttlMs = 600_000): Promise<string> {
    const token = newConsoleToken();
    await insertConsoleAuthToken(database.db, {
      token_hash: hashConsoleToken(token), instance_uuid: INSTANCE, console_type: type, host: 'host-a',
      socket_path: type === 'novnc' ? vnc.path : serial.path, created_at: new Date(clock).toISOString(), expires_at: new Date(clock + ttlMs).toISOString(),
    });
    return token;
  }
  const wsOf = (base: string, token: string) => `${base.replace('http:', 'ws:')}/?token=${encodeURIComponent(token)}`;

  it('opens a VNC console once: the guest speaks first, the client\'s bytes reach it, the same token a second time is refused', async () => {
    const token = await grant('novnc');
    const session = openConsole(wsOf(novncUrl, token));
    assert.equal(await session.refused, undefined);
    assert.equal((await session.first)?.toString(), 'RFB 003.008\n');
    session.ws.send(Buffer.from('RFB 003.008\n'));
    assert.equal((await vnc.waitForBytes(12)).toString(), 'RFB 003.008\n');
    // The token is gone from the database the moment it was used.
    assert.equal(await consumeConsoleAuthToken(database.db, hashConsoleToken(token), { types: ['novnc'], now: new Date(clock) }), undefined);

    await assertRefused(openConsole(wsOf(novncUrl, token)));

    session.ws.close();
    assert.equal((await session.closed).code, 1005);
  });

  it('closes the websocket when the console\'s side ends', async () => {
    const session = openConsole(wsOf(novncUrl, await grant('novnc')));
    await session.first;
    for (const conn of vnc.connections) conn.end();
    assert.deepEqual(await session.closed, { code: 1000, reason: 'Console closed' });
  });

  it('refuses an expired token, a missing one, and a token of the other console type without burning it', async () => {
    const expiring = await grant('novnc', 1000);
    clock += 2000;
    await assertRefused(openConsole(wsOf(novncUrl, expiring)));
    await assertRefused(openConsole(`${novncUrl.replace('http:', 'ws:')}/`));

    const serialToken = await grant('serial');
    await assertRefused(openConsole(wsOf(novncUrl, serialToken)));
    const rightPort = openConsole(wsOf(serialUrl, serialToken));
    assert.equal((await rightPort.first)?.toString(), 'login: ');
    rightPort.ws.send('root\n');
    assert.equal((await serial.waitForBytes(5)).toString(), 'root\n');
    rightPort.ws.close();
    await rightPort.closed;
  });

  it('checks a browser\'s Origin against the proxy\'s host and the allowed origins, before using the token', async () => {
    const token = await grant('novnc');
    const foreign = openConsole(wsOf(novncUrl, token), { origin: 'http://evil.example' });
    assert.equal(await foreign.refused, 403);
    const own = openConsole(wsOf(novncUrl, token), { origin: 'http://127.0.0.1:1234' });
    assert.equal((await own.first)?.toString(), 'RFB 003.008\n', 'the refused attempt did not use the token');
    own.ws.close();
    const allowed = openConsole(wsOf(novncUrl, await grant('novnc')), { origin: 'https://dashboard.example' });
    assert.equal((await allowed.first)?.toString(), 'RFB 003.008\n');
    allowed.ws.close();
    await Promise.all([own.closed, allowed.closed]);
  });

  it('serves the noVNC page as HTML with a content security policy, and its modules as JavaScript', async () => {
    const page = await rawGet(novncUrl, '/vnc_lite.html');
    assert.equal(page.status, 200);
    assert.equal(page.type, 'text/html; charset=utf-8');
    assert.match(page.csp ?? '', /connect-src 'self'/);
    assert.match(page.body, /<script type="module" src="console.js">/);
    const rfb = await rawGet(novncUrl, '/core/rfb.js');
    assert.equal(rfb.status, 200);
    assert.equal(rfb.type, 'text/javascript; charset=utf-8');
    assert.equal((await rawGet(novncUrl, '/console.css')).type, 'text/css; charset=utf-8');
    for (const path of ['/core/../package.json', '/core/%2e%2e/%2e%2e/package.json', '/vendor/pako/README.md', '/core/nothing.js', '/../../package.json', '/novnc-files.ts']) {
      assert.equal((await rawGet(novncUrl, path)).status, 404, path);
    }
    assert.equal((await rawGet(serialUrl, '/vnc_lite.html')).status, 404, 'the serial proxy serves no page');
  });

  it('serves every module the page imports, transitively, as JavaScript', async () => {
    const seen = new Set<string>();
    const queue = ['/console.js'];
    while (queue.length) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await rawGet(novncUrl, path);
      assert.equal(res.status, 200, path);
      assert.equal(res.type, 'text/javascript; charset=utf-8', path);
      for (const m of res.body.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|(?:^|\n)\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/g)) {
        queue.push(new URL(m[1] ?? m[2], `http://page${path}`).pathname);
      }
    }
    assert.ok(seen.has('/core/rfb.js') && seen.has('/vendor/pako/lib/zlib/inflate.js'), [...seen].join(' '));
  });
});
