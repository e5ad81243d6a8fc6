// The disk transfer between two hosts on loopback: a pull gets exactly the offered bytes once, and every way in
// without the offer's secret, after it, or past its expiry is refused, leaving no partial file behind.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import { createDiskOfferServer, pullDisks } from './disk-transfer.ts';

const log = silentLogger();
const ALLOWED = ['disk', 'disk.eph0', 'disk.config'];

/** The HTTP status the source answers a GET with (or the connection error's code). */
function statusOf(url: string, token?: string): Promise<number | string> {
  return new Promise((done) => {
    const req = request(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, agent: false }, (res) => { res.resume(); done(res.statusCode!); });
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    req.end();
  });
}

describe('disk transfer', () => {
  const dir = mkdtempSync('/tmp/stratus-xfer-');
  const src = join(dir, 'src');
  mkdirSync(src);
  const root = randomBytes(3 * 1024 * 1024 + 17);
  const config = randomBytes(4096);
  writeFileSync(join(src, 'disk'), root);
  writeFileSync(join(src, 'disk.config'), config);
  const server = createDiskOfferServer({ hostIp: () => '127.0.0.1', log });
  const files = [{ name: 'disk', path: join(src, 'disk') }, { name: 'disk.config', path: join(src, 'disk.config') }];
  const destDir = (name: string) => { const d = join(dir, name); mkdirSync(d); return d; };
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands the destination exactly the offered files, once', async () => {
    const offer = await server.offer('guest-a', files, 60_000);
    assert.match(offer.url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
    assert.deepEqual(offer.files.map((f) => [f.name, f.size]), [['disk', root.length], ['disk.config', config.length]]);
    assert.equal(await statusOf(`${offer.url}/disk`), 403, 'no secret, no file');
    assert.equal(await statusOf(`${offer.url}/disk`, 'not-the-secret'), 403);
    assert.equal(await statusOf(`${offer.url}/guest.json`, offer.token), 404, 'only offered files');
    const dest = destDir('dest-a');
    assert.deepEqual(await pullDisks(offer, dest, { allowed: ALLOWED, log }), ['disk', 'disk.config']);
    assert.ok(readFileSync(join(dest, 'disk')).equals(root));
    assert.ok(readFileSync(join(dest, 'disk.config')).equals(config));
    // Every file was read: the offer is gone and, with no other offer open, the port is closed.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await statusOf(`${offer.url}/disk`, offer.token), 'ECONNREFUSED');
  });

  it('refuses a second read of a file, and a pull whose data does not match leaves no file', async () => {
    const offer = await server.offer('guest-b', files, 60_000);
    const first = destDir('dest-b1');
    await pullDisks({ ...offer, files: [offer.files[0]] }, first, { allowed: ALLOWED, log });
    const second = destDir('dest-b2');
    await assert.rejects(pullDisks(offer, second, { allowed: ALLOWED, log }), /refused disk: HTTP 403|HTTP 404/);
    assert.deepEqual(readdirSync(second), []);

    const tampered = await server.offer('guest-b', files, 60_000);
    const bad = { ...tampered, files: tampered.files.map((f) => (f.name === 'disk.config' ? { ...f, sha256: '0'.repeat(64) } : f)) };
    const third = destDir('dest-b3');
    await assert.rejects(pullDisks(bad, third, { allowed: ALLOWED, log }), /does not match the source's SHA-256/);
    assert.deepEqual(readdirSync(third), [], 'what was pulled before the bad file goes too');
    await server.revoke('guest-b');
  });

  it('refuses names outside the guest directory and offers past their expiry or revoked', async () => {
    const offer = await server.offer('guest-c', files, 60_000);
    const dest = destDir('dest-c');
    await assert.rejects(pullDisks({ ...offer, files: [{ ...offer.files[0], name: '../escape' }] }, dest, { allowed: ALLOWED, log }), /not a guest disk file/);
    await assert.rejects(pullDisks({ ...offer, files: [{ ...offer.files[0], name: 'qemu.pid' }] }, dest, { allowed: ALLOWED, log }), /not a guest disk file/);
    await server.revoke('guest-c');
    await assert.rejects(pullDisks(offer, dest, { allowed: ALLOWED, log }), /ECONNREFUSED|HTTP 403/);

    const keepOpen = await server.offer('guest-d', files, 60_000);
    const short = await server.offer('guest-e', files, 30);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await statusOf(`${short.url}/disk`, short.token), 403, 'expired');
    assert.equal(await statusOf(`${keepOpen.url}/disk.config`, keepOpen.token), 200, 'another offer is unaffected');
    assert.deepEqual(readdirSync(dest), []);
    await server.revoke('guest-d');
  });
});
