// Remote consoles through the API: the 2.6+ resource and the legacy actions answer Nova's shapes, refuse what Nova
// refuses, and hand out URLs whose token opens the console once through the proxy. The agent's fake driver gets a
// consoleSocket injected here, backed by small unix socket servers (a VNC greeting, a login prompt).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '#lib/log.ts';
import { openDatabase } from '#lib/db/index.ts';
import type { Database } from '#lib/db/index.ts';
import { createFakeDriver } from '../roles.ts';
import type { ComputeTables } from '../db/tables.ts';
import { createConsoleProxy } from '../console/console-proxy.ts';
import type { ConsoleProxy } from '../console/console-proxy.ts';
import { assertRefused, openConsole, startFakeConsoleSocket } from '../console/test-console-socket.ts';
import type { FakeConsoleSocket } from '../console/test-console-socket.ts';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('compute API: remote consoles', () => {
  let c: TestCompute;
  let vnc: FakeConsoleSocket;
  let serial: FakeConsoleSocket;
  let database: Database<ComputeTables>;
  let novncProxy: ConsoleProxy;
  let serialProxy: ConsoleProxy;
  let novncUrl: string;
  let serialUrl: string;
  let id: string;
  // Flipped by a test: the driver then has no console for the guest, as a driver without consoles would.
  let consolesAvailable = true;

  before(async () => {
    vnc = await startFakeConsoleSocket('RFB 003.008\n');
    serial = await startFakeConsoleSocket('login: ');
    const driver = createFakeDriver({ nodeName: 'host-a', vcpus: 8, memoryMb: 16384, localGb: 100 });
    driver.consoleSocket = async ({ kind }) => (consolesAvailable ? (kind === 'vnc' ? vnc.path : serial.path) : undefined);
    c = await startCompute({}, { hosts: ['host-a'], drivers: { 'host-a': driver } });
    database = await openDatabase<ComputeTables>({ url: c.databaseUrl, log: silentLogger() });
    const common = { db: database.db, log: silentLogger(), allowedOrigins: [] };
    novncProxy = createConsoleProxy({ ...common, type: 'novnc' });
    serialProxy = createConsoleProxy({ ...common, type: 'serial' });
    novncUrl = (await novncProxy.listen('127.0.0.1', 0)).replace('http:', 'ws:');
    serialUrl = (await serialProxy.listen('127.0.0.1', 0)).replace('http:', 'ws:');
    const created = await c.call('POST', '/v2.1/servers', { token: c.as.alice.token, version: '2.60', body: { server: { name: 'console', imageRef: c.imageId, flavorRef: '1', networks: 'none' } } });
    id = created.body.server.id;
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'ACTIVE');
  });
  after(async () => {
    await novncProxy?.close();
    await serialProxy?.close();
    await database?.close();
    await c?.close();
    await vnc?.close();
    await serial?.close();
  });

  const remote = (body: unknown, version = '2.6', token = c.as.alice.token) => c.call('POST', `/v2.1/servers/${id}/remote-consoles`, { token, version, body });
  const action = (body: unknown, version = '2.1', token = c.as.alice.token) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version, body });
  /** The token a console URL carries, and where Stratus's own proxy (started here on port 0) takes it. */
  const tokenOf = (url: string) => {
    const u = new URL(url);
    return u.searchParams.get('token') ?? new URLSearchParams(u.searchParams.get('path')!.replace(/^\?/, '')).get('token')!;
  };

  it('gives a noVNC URL in Nova\'s shape whose token opens the VNC console once', async () => {
    const res = await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body), ['remote_console']);
    assert.deepEqual(Object.keys(res.body.remote_console).sort(), ['protocol', 'type', 'url']);
    assert.equal(res.body.remote_console.protocol, 'vnc');
    assert.equal(res.body.remote_console.type, 'novnc');
    assert.match(res.body.remote_console.url, /^http:\/\/127\.0\.0\.1:6080\/vnc_lite\.html\?path=%3Ftoken%3D[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(res.body.remote_console.url);
    const session = openConsole(`${novncUrl}/?token=${token}`);
    assert.equal((await session.first)?.toString(), 'RFB 003.008\n');
    session.ws.close();
    await session.closed;
    await assertRefused(openConsole(`${novncUrl}/?token=${token}`));
  });

  it('gives a serial console websocket URL, through the 2.6 resource and the legacy action', async () => {
    const res = await remote({ remote_console: { protocol: 'serial', type: 'serial' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.remote_console.url, /^ws:\/\/127\.0\.0\.1:6083\/\?token=[A-Za-z0-9_-]{43}$/);
    const session = openConsole(`${serialUrl}/?token=${tokenOf(res.body.remote_console.url)}`);
    assert.equal((await session.first)?.toString(), 'login: ');
    session.ws.close();
    await session.closed;

    const legacy = await action({ 'os-getSerialConsole': { type: 'serial' } });
    assert.equal(legacy.status, 200, JSON.stringify(legacy.body));
    assert.deepEqual(Object.keys(legacy.body.console).sort(), ['type', 'url']);
    assert.equal(legacy.body.console.type, 'serial');
    const vncLegacy = await action({ 'os-getVNCConsole': { type: 'novnc' } }, '2.5');
    assert.equal(vncLegacy.status, 200);
    assert.match(vncLegacy.body.console.url, /vnc_lite\.html\?path=%3Ftoken%3D/);
  });

  it('answers each microversion as Nova does: the resource from 2.6, the actions up to 2.5, webmks from 2.8', async () => {
    assert.equal((await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.5')).status, 404);
    const late = await action({ 'os-getVNCConsole': { type: 'novnc' } }, '2.6');
    assert.equal(late.status, 404);
    const mks = await remote({ remote_console: { protocol: 'mks', type: 'webmks' } }, '2.6');
    assert.equal(mks.status, 400);
    assert.match(mks.body.badRequest.message, /^Invalid input for field\/attribute protocol/);
    const mks28 = await remote({ remote_console: { protocol: 'mks', type: 'webmks' } }, '2.8');
    assert.equal(mks28.body.badRequest.message, 'Unavailable console type webmks.');
  });

  it('refuses bad pairs, consoles this cloud does not serve, and bodies Nova\'s schema refuses, with 400', async () => {
    const cases: [unknown, RegExp][] = [
      [{ remote_console: { protocol: 'vnc', type: 'serial' } }, /^Invalid console type serial$/],
      [{ remote_console: { protocol: 'serial', type: 'novnc' } }, /^Invalid console type novnc$/],
      [{ remote_console: { protocol: 'spice', type: 'spice-html5' } }, /^Unavailable console type spice-html5\.$/],
      [{ remote_console: { protocol: 'vnc', type: 'xvpvnc' } }, /^Unavailable console type xvpvnc\.$/],
      [{ remote_console: { protocol: 'telnet', type: 'novnc' } }, /^Invalid input for field\/attribute/],
      [{ remote_console: { protocol: 'vnc' } }, /'type' is a required property/],
      [{ remote_console: { protocol: 'vnc', type: 'novnc', extra: 1 } }, /Additional properties are not allowed/],
      [{ console: {} }, /Invalid input/],
    ];
    for (const [body, message] of cases) {
      const res = await remote(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status}`);
      assert.match(res.body.badRequest.message, message, JSON.stringify(body));
    }
    const legacy = await action({ 'os-getVNCConsole': { type: 'serial' } });
    assert.equal(legacy.status, 400);
    assert.equal((await action({ 'os-getSPICEConsole': { type: 'spice-html5' } })).body.badRequest.message, 'Unavailable console type spice-html5.');
  });

  it('answers 400 when the hypervisor has no such console for the guest', async () => {
    consolesAvailable = false;
    try {
      const res = await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.badRequest.message, 'Unavailable console type novnc.');
    } finally {
      consolesAvailable = true;
    }
  });

  it('authorizes as Nova\'s os-remote-consoles rule: members of the project, not readers, not other projects', async () => {
    const reader = await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6', c.as.rita.token);
    assert.equal(reader.status, 403);
    assert.equal(reader.body.forbidden.message, "Policy doesn't allow os_compute_api:os-remote-consoles to be performed.");
    assert.equal((await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6', c.as.bob.token)).status, 404);
    assert.equal((await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6', c.as.admin.token)).status, 200);
  });

  it('refuses a stopped server with 409, and a deleted server\'s URLs stop working', async () => {
    const url = (await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } })).body.remote_console.url as string;
    assert.equal((await action({ 'os-stop': null }, '2.60')).status, 202);
    await c.waitForServer(id, c.as.alice.token, (s) => s?.status === 'SHUTOFF');
    const stopped = await remote({ remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.equal(stopped.status, 409);
    assert.equal(stopped.body.conflictingRequest.message, `Instance ${id} is not ready`);

    assert.equal((await c.call('DELETE', `/v2.1/servers/${id}`, { token: c.as.alice.token })).status, 204);
    await c.waitForServer(id, c.as.alice.token, (s) => s === undefined);
    await assertRefused(openConsole(`${novncUrl}/?token=${tokenOf(url)}`));
  });
});
