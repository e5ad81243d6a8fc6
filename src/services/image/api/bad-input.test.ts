// Bad input: every refusal is a 4xx in Glance's format with a message that says what was wrong, never a 500, and
// leaves the image as it was — in particular no image data on disk after a refused or interrupted upload.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { startImage } from './test-image.ts';
import type { Reply, TestImage } from './test-image.ts';
import { PATCH_CONTENT_TYPE } from '../domain/json-patch.ts';
import { qcow2Header, vmdkSparse, descriptor } from '../domain/test-disk-images.ts';

let t: TestImage;
before(async () => { t = await startImage({ image_size_total: 5_000_000 }); });
after(async () => { await t?.close(); });

function refused(r: Reply, status: number, message: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.code.split(' ')[0], String(status));
  assert.match(r.body.message, message);
}

const patch = (id: string, ops: unknown, token = t.as.alice.token) =>
  t.call('PATCH', `/v2/images/${id}`, { token, raw: JSON.stringify(ops), contentType: PATCH_CONTENT_TYPE });
const status = async (id: string) => (await t.call('GET', `/v2/images/${id}`, { token: t.as.alice.token })).body.status;

describe('bad input', () => {
  it('create: unknown visibility, wrong types, read-only and reserved attributes are refused', async () => {
    const create = (body: unknown) => t.call('POST', '/v2/images', { token: t.as.alice.token, body });
    refused(await create({ name: 'x', visibility: 'everyone' }), 400, /'image'.*"everyone" is not one of/);
    refused(await create({ name: 'x', min_ram: '512' }), 400, /min_ram/);
    refused(await create({ name: 'x', hw_disk_bus: 5 }), 400, /hw_disk_bus/);
    refused(await create({ name: 'x', disk_format: 'floppy' }), 400, /disk_format/);
    refused(await create({ name: 'x', id: 'not-a-uuid' }), 400, /id/);
    refused(await create({ name: 'x', min_disk: -1 }), 400, /negative/);
    for (const attr of ['status', 'checksum', 'size', 'self', 'os_hash_value']) refused(await create({ name: 'x', [attr]: 'v' }), 403, new RegExp(`Attribute '${attr}' is read-only`));
    refused(await create({ name: 'x', deleted: 'v' }), 403, /Attribute 'deleted' is reserved/);
    refused(await create({ name: 'x', os_glance_importing: 'v' }), 403, /reserved/);
    refused(await create(['x']), 400, /Body expected/);
    const bad = await t.call('POST', '/v2/images', { token: t.as.alice.token, raw: '{"name":', contentType: 'application/json' });
    refused(bad, 400, /not valid JSON/);
  });

  it('JSON patch: wrong paths, operations and documents are 400, read-only and reserved attributes 403, missing properties 409', async () => {
    const img = await t.create(t.as.alice, { name: 'patch-me', disk_format: 'raw', container_format: 'bare', foo: 'bar' });
    const before = (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body;
    refused(await patch(img.id, [{ op: 'add', path: '/foo/bar', value: 'x' }]), 400, /Invalid JSON pointer for this resource: '\/foo\/bar'/);
    refused(await patch(img.id, [{ op: 'add', path: 'foo', value: 'x' }]), 400, /does not start with "\/"/);
    refused(await patch(img.id, [{ op: 'add', path: '/a//b', value: 'x' }]), 400, /adjacent/);
    refused(await patch(img.id, [{ op: 'move', path: '/foo', from: '/bar' }]), 400, /Invalid operation: `move`/);
    refused(await patch(img.id, [{ path: '/foo', value: 'x' }]), 400, /Unable to find `op`/);
    refused(await patch(img.id, [{ op: 'add', path: '/foo' }]), 400, /requires a member named "value"/);
    refused(await patch(img.id, { op: 'add', path: '/foo', value: 'x' }), 400, /JSON array/);
    refused(await patch(img.id, [{ op: 'replace', path: '/visibility', value: 'everyone' }]), 400, /"everyone" is not one of/);
    refused(await patch(img.id, [{ op: 'replace', path: '/min_ram', value: 'lots' }]), 400, /min_ram/);
    for (const attr of ['id', 'status', 'checksum', 'size', 'virtual_size', 'created_at', 'os_hash_algo']) {
      refused(await patch(img.id, [{ op: 'replace', path: `/${attr}`, value: 'x' }]), 403, new RegExp(`Attribute '${attr}' is read-only`));
    }
    refused(await patch(img.id, [{ op: 'replace', path: '/owner', value: t.as.bob.projectId }]), 403, /Owner can't be updated by non admin/);
    refused(await patch(img.id, [{ op: 'add', path: '/deleted_at', value: 'x' }]), 403, /reserved/);
    refused(await patch(img.id, [{ op: 'add', path: '/locations/-', value: { url: 'file:///etc/passwd', metadata: {} } }]), 403, /locations/);
    refused(await patch(img.id, [{ op: 'remove', path: '/name' }]), 403, /Property name may not be removed/);
    refused(await patch(img.id, [{ op: 'replace', path: '/nope', value: 'x' }]), 409, /Property nope does not exist/);
    refused(await patch(img.id, [{ op: 'remove', path: '/nope' }]), 409, /Property nope does not exist/);
    refused(await patch(img.id, [{ op: 'replace', path: '/visibility', value: 'public' }]), 403, /publicize_image/);
    // An operation list is all or nothing: the valid first operation is not kept when the second fails.
    refused(await patch(img.id, [{ op: 'replace', path: '/name', value: 'changed' }, { op: 'remove', path: '/nope' }]), 409, /nope/);
    const json = await t.call('PATCH', `/v2/images/${img.id}`, { token: t.as.alice.token, body: [{ op: 'add', path: '/a', value: 'b' }] });
    refused(json, 415, /application\/json is not supported/);
    assert.equal(json.headers.get('accept-patch'), PATCH_CONTENT_TYPE);
    assert.deepEqual((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body, before, 'nothing changed');
  });

  it('list parameters Glance refuses are 400', async () => {
    const list = (q: string) => t.call('GET', `/v2/images?${q}`, { token: t.as.alice.token });
    refused(await list('visibility=everyone'), 400, /Invalid visibility value: everyone/);
    refused(await list('sort_key=owner'), 400, /Invalid sort key: owner/);
    refused(await list('sort_dir=up'), 400, /Invalid sort direction: up/);
    refused(await list('sort=name&sort_key=name'), 400, /cannot be combined/);
    refused(await list('limit=-1'), 400, /limit param must be positive/);
    refused(await list('limit=ten'), 400, /limit param must be an integer/);
    refused(await list('member_status=maybe'), 400, /Invalid status: maybe/);
    refused(await list('os_hidden=maybe'), 400, /os_hidden/);
    refused(await list('size_min=big'), 400, /non-numeric/);
    refused(await list('created_at=gt:yesterday'), 400, /ISO 8601/);
    refused(await list('marker=4a3a3b1e-0000-4000-8000-000000000000'), 400, /Invalid marker/);
  });

  it('upload: 409 to an active image, 400 without formats, 415 for another content type; download of a deactivated image is 403 to non-admins', async () => {
    const img = await t.create(t.as.alice, { name: 'active-one', disk_format: 'raw', container_format: 'bare' });
    assert.equal((await t.upload(t.as.alice, img.id, randomBytes(2048))).status, 204);
    refused(await t.upload(t.as.alice, img.id, randomBytes(2048)), 409, /Image status transition from active to saving is not allowed/);
    const bare = await t.create(t.as.alice, { name: 'no-formats' });
    refused(await t.upload(t.as.alice, bare.id, randomBytes(10)), 400, /disk_format, container_format must be set/);
    refused(await t.call('PUT', `/v2/images/${bare.id}/file`, { token: t.as.alice.token, raw: 'text', contentType: 'text/plain' }), 415, /text\/plain is not supported/);
    refused(await t.upload(t.as.rita, img.id, randomBytes(10)), 403, /upload_image/);
    refused(await t.call('PATCH', `/v2/images/${img.id}`, { token: t.as.alice.token, raw: JSON.stringify([{ op: 'replace', path: '/disk_format', value: 'qcow2' }]), contentType: PATCH_CONTENT_TYPE }), 403, /can be only replaced for a queued image/);

    assert.equal((await t.call('POST', `/v2/images/${img.id}/actions/deactivate`, { token: t.as.admin.token })).status, 204);
    refused(await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token }), 403, /deactivated. Image data download is forbidden/);
    refused(await t.upload(t.as.alice, img.id, randomBytes(10)), 409, /from deactivated to saving/);
    assert.equal((await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.admin.token })).status, 200);
  });

  it('a qcow2 with a backing file declared raw, a raw file declared qcow2 and a flat VMDK are refused with no data kept', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['raw', Buffer.concat([qcow2Header({ backing: '/etc/shadow' }), randomBytes(4096)]), /qcow2 image has a backing file/],
      ['raw', Buffer.concat([qcow2Header(), randomBytes(4096)]), /disk_format is raw but the data is qcow2/],
      ['qcow2', randomBytes(3 * 1024 * 1024), /not recognisable as qcow2/],
      ['qcow2', Buffer.concat([qcow2Header({ incompatible: 1n << 2n }), randomBytes(100)]), /external data file/],
      ['vmdk', vmdkSparse(descriptor('monolithicFlat', ['RW 2048 FLAT "/etc/passwd" 0'])), /createType "monolithicFlat"/],
    ];
    const before = t.storeFiles();
    for (const [diskFormat, data, why] of cases) {
      const img = await t.create(t.as.alice, { name: `lie-${diskFormat}`, disk_format: diskFormat, container_format: 'bare' });
      refused(await t.upload(t.as.alice, img.id, data), 400, why);
      const shown = (await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body;
      assert.equal(shown.status, 'queued');
      assert.equal(shown.size, null);
      assert.equal(shown.checksum, null);
      assert.equal((await t.call('GET', `/v2/images/${img.id}/file`, { token: t.as.alice.token })).status, 204);
    }
    assert.deepEqual(t.storeFiles(), before, 'no file kept, not even a partial one');
  });

  it('a chunked upload past the byte quota is refused mid-stream with 413 and leaves nothing behind', async () => {
    const img = await t.create(t.as.alice, { name: 'too-big', disk_format: 'raw', container_format: 'bare' });
    const before = t.storeFiles();
    const chunk = randomBytes(1024 * 1024);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({ pull(c) { if (sent++ < 7) c.enqueue(chunk); else c.close(); } });
    const r = await fetch(`${t.url}/v2/images/${img.id}/file`, {
      method: 'PUT', headers: { 'x-auth-token': t.as.alice.token, 'content-type': 'application/octet-stream', accept: 'application/json' }, body, duplex: 'half',
    } as RequestInit);
    assert.equal(r.status, 413);
    assert.match(((await r.json()) as { message: string }).message, /storage quota exceeded/);
    assert.equal(await status(img.id), 'queued');
    assert.deepEqual(t.storeFiles(), before);
  });

  it('an upload the client abandons half-way leaves the image queued and no file, and a retry then succeeds', async () => {
    const img = await t.create(t.as.alice, { name: 'truncated', disk_format: 'raw', container_format: 'bare' });
    const before = t.storeFiles();
    const { port } = new URL(t.url);
    await new Promise<void>((done) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: `/v2/images/${img.id}/file`, headers: {
        'x-auth-token': t.as.alice.token, 'content-type': 'application/octet-stream', 'content-length': String(4 * 1024 * 1024),
      } });
      req.on('error', () => done());
      req.on('response', (res) => { res.resume(); done(); });
      req.write(randomBytes(1024 * 1024), () => setTimeout(() => { req.destroy(); done(); }, 100));
    });
    let s = '';
    for (let i = 0; i < 100 && (s = await status(img.id)) !== 'queued'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s, 'queued');
    for (let i = 0; i < 100 && t.storeFiles().length !== before.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(t.storeFiles(), before);
    const data = randomBytes(4096);
    assert.equal((await t.upload(t.as.alice, img.id, data)).status, 204);
    assert.equal(await status(img.id), 'active');
  });
});
