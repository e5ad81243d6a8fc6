// Real VMs under faults, through the openstack CLI: a guest killed from outside is seen as SHUTOFF within seconds
// (the qemu driver's lifecycle events) and starts again; a restart of the whole cloud leaves running guests running,
// and the restarted agent drives them again through their QMP sockets. On the way, the noVNC console connects in a real
// browser (Debian's Chromium) and the serial console's websocket carries the guest's login prompt. A build from a
// corrupt image (stored bytes that no longer match Image's checksum) or one too big for the flavor's disk fails cleanly:
// ERROR with a fault that says why, no process or guest directory left, and corrupt bytes never cached.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { chromium } from 'playwright-core';
import { requireServers } from '#lib/test-servers.ts';
import { run, until, useVmCloud, vmSkipReason } from './vm-harness.ts';

const CHROMIUM = '/usr/bin/chromium';

function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (requireServers) throw new Error(`${CHROMIUM} is required (STRATUS_REQUIRE_SERVERS=1) but missing: apt-get install chromium`);
  return `${CHROMIUM} is missing (apt-get install chromium)`;
}

describe('real VMs under faults', { skip: vmSkipReason() }, () => {
  const vm = useVmCloud();
  let uuid = '';
  const qemuPid = async () => (await run('pgrep', ['-f', `stratus-${uuid}`])).stdout.trim();
  const markers = async () => ((await vm().cloud.openstack(['console', 'log', 'show', 'vm1'])).stdout.match(/STRATUS-GUEST-READY/g) ?? []).length;

  it('boots a server', async () => {
    await vm().guestImage();
    await vm().ok(['network', 'create', 'faults']);
    await vm().ok(['subnet', 'create', '--network', 'faults', '--subnet-range', '10.30.0.0/24', 'faults-subnet']);
    uuid = String((await vm().json(['server', 'create', '--image', 'cirros-like', '--flavor', 'm1.tiny', '--network', 'faults', '--wait', 'vm1'])).id);
    await vm().bootMarker('vm1');
  });

  it('opens the noVNC console in a browser, which connects to the guest\'s screen', { skip: browserSkipReason() }, async () => {
    const url = String((await vm().json(['console', 'url', 'show', '--novnc', 'vm1'])).url);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      // Locators only: the console page's CSP forbids the eval behind page-side predicates.
      await page.locator('#status', { hasText: /^Connected$/ }).waitFor({ timeout: 30_000 });
      // noVNC sized its canvas from the server's framebuffer (ServerInit), and the desktop name came from QEMU.
      const screen = page.locator('#screen canvas');
      const canvas = { width: Number(await screen.getAttribute('width')), height: Number(await screen.getAttribute('height')) };
      assert.ok(canvas.width >= 640 && canvas.height >= 400, `canvas ${JSON.stringify(canvas)}`);
      assert.match(await page.title(), /QEMU/);
    } finally {
      await browser.close();
    }
  });

  it('gives a serial console URL whose websocket carries the guest\'s login prompt', async () => {
    const url = String((await vm().json(['console', 'url', 'show', '--serial', 'vm1'])).url);
    assert.match(url, /^ws:\/\/.*token=/);
    const ws = new WebSocket(url, ['binary']);
    let seen = '';
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no login prompt on the serial console; saw ${JSON.stringify(seen.slice(-200))}`)), 30_000);
      ws.on('open', () => ws.send(Buffer.from('\r')));
      ws.on('message', (data) => {
        seen += Buffer.from(data as Buffer).toString('latin1');
        if (/login:/.test(seen)) { clearTimeout(timer); done(); }
      });
      ws.once('error', (err) => { clearTimeout(timer); fail(err); });
    });
    ws.close();
  });

  it('sees a guest killed from outside as SHUTOFF within seconds, and starts it again', async () => {
    const pid = await qemuPid();
    assert.match(pid, /^\d+$/);
    await run('kill', ['-9', pid]);
    // The periodic power sync is a minute away: only the lifecycle event makes this quick.
    await vm().settle('vm1', 'SHUTOFF', 20_000);
    assert.equal((await vm().json(['server', 'show', 'vm1']))['OS-EXT-STS:power_state'], 4, 'power state SHUTDOWN');
    const before = await markers();
    await vm().ok(['server', 'start', 'vm1']);
    await vm().settle('vm1', 'ACTIVE');
    await until('a second boot marker', async () => (await markers()) > before);
  });

  it('keeps the guest running across a restart of the cloud, and drives it afterwards', async () => {
    const pid = await qemuPid();
    await vm().restart();
    assert.equal((await vm().json(['server', 'show', 'vm1'])).status, 'ACTIVE');
    assert.equal(await qemuPid(), pid, 'the same QEMU process runs the guest');
    await vm().ok(['server', 'stop', 'vm1']);
    await vm().settle('vm1', 'SHUTOFF');
    assert.equal(await qemuPid(), '');
    await vm().ok(['server', 'start', 'vm1']);
    await vm().settle('vm1', 'ACTIVE');
    await vm().ok(['server', 'delete', '--wait', 'vm1']);
    assert.equal(await qemuPid(), '');
  });

  it('fails a build from a corrupt or too-big image cleanly: ERROR with the reason, nothing left behind', async () => {
    const { cloud } = vm();
    const instances = join(cloud.dataDir, 'instances');
    const guestDirs = (uuid: string) => readdirSync(instances).filter((n) => n.startsWith(uuid));
    const cachedBases = (imageId: string) => readdirSync(join(instances, '_base')).filter((n) => n.startsWith(imageId));
    // Corrupt: Image holds the upload's checksum, then the bytes at rest change (same size, other content).
    const file = join(cloud.dataDir, 'corrupt.img');
    writeFileSync(file, randomBytes(1024 * 1024));
    const corrupt = await vm().json(['image', 'create', '--disk-format', 'raw', '--container-format', 'bare', '--file', file, 'corrupt']);
    writeFileSync(join(cloud.dataDir, 'images', String(corrupt.id)), randomBytes(1024 * 1024));
    // Too big: a qcow2 whose virtual size (2 GiB) exceeds m1.tiny's 1 GB root disk, though the file is small.
    const big = join(cloud.dataDir, 'big.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', big, '2G']);
    const tooBig = await vm().json(['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', big, 'too-big']);

    for (const [image, reason] of [[corrupt, /does not match its checksum/], [tooBig, /disk is too small/]] as const) {
      const name = `bad-${String(image.name)}`;
      const server = await vm().json(['server', 'create', '--image', String(image.id), '--flavor', 'm1.tiny', '--network', 'faults', name]);
      const shown = await until(`${name} ERROR`, async () => {
        const s = await vm().json(['server', 'show', name]);
        return s.status === 'ERROR' ? s : undefined;
      }, 120_000, 2000);
      const events = await vm().json(['server', 'event', 'list', '--long', name]);
      const why = JSON.stringify([shown.fault, events]);
      assert.match(why, reason, `the fault or the build's events say why: ${why}`);
      assert.equal((await run('pgrep', ['-f', `stratus-${String(server.id)}`])).stdout.trim(), '', 'no QEMU process');
      assert.deepEqual(guestDirs(String(server.id)), [], 'no guest directory');
      // Bytes that failed their checksum never enter the cache; a sound image too big for the flavor stays cached, as
      // in Nova, until the cache prunes bases no guest uses.
      if (image === corrupt) assert.deepEqual(cachedBases(String(image.id)), [], 'no cached base of corrupt bytes');
      await vm().ok(['server', 'delete', '--wait', name]);
    }
  });
});
