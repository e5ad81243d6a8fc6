// The image API's metadata side: version discovery, create/show/list with Glance's visibility rules and filters,
// JSON-patch updates, tags, deactivation, members and schemas.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startImage } from './test-image.ts';
import type { TestImage } from './test-image.ts';
import { PATCH_CONTENT_TYPE } from '../domain/json-patch.ts';

let t: TestImage;
before(async () => { t = await startImage(); });
after(async () => { await t?.close(); });

const patch = (token: string, id: string, ops: unknown) => t.call('PATCH', `/v2/images/${id}`, { token, raw: JSON.stringify(ops), contentType: PATCH_CONTENT_TYPE });
const names = (r: { body: { images: { name: string }[] } }) => r.body.images.map((i) => i.name).sort();

describe('image API', () => {
  it('version discovery answers 300 at / and /v2 without a token, pointing at /v2/', async () => {
    for (const path of ['/', '/v2']) {
      const r = await t.call('GET', path);
      assert.equal(r.status, 300);
      assert.equal(r.body.versions[0].status, 'CURRENT');
      assert.equal(r.body.versions[0].links[0].href, `${t.url}/v2/`);
      assert.ok(r.body.versions.every((v: { id: string }) => /^v2\.\d+$/.test(v.id)));
    }
  });

  it('errors use Glance\'s body and a request without a token is 401 with WWW-Authenticate', async () => {
    const r = await t.call('GET', '/v2/images');
    assert.equal(r.status, 401);
    assert.deepEqual(Object.keys(r.body).sort(), ['code', 'message', 'title']);
    assert.equal(r.body.code, '401 Unauthorized');
    assert.match(r.headers.get('www-authenticate') ?? '', /^Keystone uri="http:\/\/127\.0\.0\.1:\d+"$/);
    const missing = await t.call('GET', '/v2/images/9b9a1c8e-0000-4000-8000-000000000000', { token: t.as.alice.token });
    assert.deepEqual(missing.body, { message: 'No image found with ID 9b9a1c8e-0000-4000-8000-000000000000', code: '404 Not Found', title: 'Not Found' });
  });

  it('a created image is queued with Glance\'s fields, its extra properties at the top level and no location', async () => {
    const id = '2f0c6bb4-6d2e-4d0c-9d54-6bbd3c3c2f01';
    const r = await t.call('POST', '/v2/images', { token: t.as.alice.token, body: {
      id, name: 'fields', disk_format: 'qcow2', container_format: 'bare', min_disk: 2, min_ram: 512, tags: ['a', 'b', 'a'],
      os_distro: 'debian', hw_disk_bus: 'virtio', protected: false, os_hidden: false,
    } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.headers.get('location'), `/v2/images/${id}`);
    assert.deepEqual(Object.keys(r.body).sort(), [
      'checksum', 'container_format', 'created_at', 'disk_format', 'file', 'hw_disk_bus', 'id', 'min_disk', 'min_ram', 'name', 'os_distro',
      'os_hash_algo', 'os_hash_value', 'os_hidden', 'owner', 'protected', 'schema', 'self', 'size', 'status', 'tags', 'updated_at', 'virtual_size', 'visibility',
    ]);
    assert.equal(r.body.status, 'queued');
    assert.equal(r.body.visibility, 'shared', 'Glance\'s default visibility');
    assert.equal(r.body.owner, t.as.alice.projectId);
    assert.deepEqual(r.body.tags, ['a', 'b']);
    assert.equal(r.body.size, null);
    assert.equal(r.body.self, `/v2/images/${id}`);
    assert.equal(r.body.file, `/v2/images/${id}/file`);
    assert.match(r.body.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const shown = await t.call('GET', `/v2/images/${id}`, { token: t.as.rita.token });
    assert.deepEqual(shown.body, r.body);
    const again = await t.call('POST', '/v2/images', { token: t.as.alice.token, body: { id, name: 'dup' } });
    assert.equal(again.status, 409);
  });

  it('visibility: private images stay with their project, public and community are seen by all, community only listed on request', async () => {
    const mine = await t.create(t.as.alice, { name: 'vis-private', visibility: 'private' });
    const community = await t.create(t.as.alice, { name: 'vis-community', visibility: 'community' });
    await t.create(t.as.admin, { name: 'vis-public', visibility: 'public' });
    assert.equal((await t.call('GET', `/v2/images/${mine.id}`, { token: t.as.bob.token })).status, 404);
    assert.equal((await t.call('GET', `/v2/images/${community.id}`, { token: t.as.bob.token })).status, 200);
    assert.equal((await t.call('GET', `/v2/images/${mine.id}`, { token: t.as.admin.token })).status, 200);
    const bobList = names(await t.call('GET', '/v2/images?name=in:vis-private,vis-community,vis-public', { token: t.as.bob.token }));
    assert.deepEqual(bobList, ['vis-public']);
    const bobCommunity = names(await t.call('GET', '/v2/images?visibility=community&name=vis-community', { token: t.as.bob.token }));
    assert.deepEqual(bobCommunity, ['vis-community']);
    const aliceList = names(await t.call('GET', '/v2/images?name=in:vis-private,vis-community,vis-public', { token: t.as.alice.token }));
    assert.deepEqual(aliceList, ['vis-community', 'vis-private', 'vis-public']);
    const publicize = await t.call('POST', '/v2/images', { token: t.as.alice.token, body: { name: 'x', visibility: 'public' } });
    assert.equal(publicize.status, 403);
    assert.equal(publicize.body.message, 'You are not authorized to complete publicize_image action.');
    const reader = await t.call('POST', '/v2/images', { token: t.as.rita.token, body: { name: 'x' } });
    assert.equal(reader.status, 403, 'a reader cannot create');
    const otherOwner = await t.call('POST', '/v2/images', { token: t.as.alice.token, body: { name: 'x', owner: t.as.bob.projectId } });
    assert.equal(otherOwner.status, 403);
    assert.match(otherOwner.body.message, /not permitted to create images owned by/);
  });

  it('lists filter by status, formats, tags, properties, size, os_hidden and owner, sort, and page with next links', async () => {
    const tag = `page-${Date.now()}`;
    for (let i = 0; i < 5; i++) {
      await t.create(t.as.bob, { name: `page-${i}`, tags: [tag, ...(i % 2 ? ['odd'] : [])], disk_format: i < 3 ? 'raw' : 'qcow2', container_format: 'bare', os_hidden: i === 4, flavor_hint: `f${i}` });
    }
    const get = async (q: string) => (await t.call('GET', `/v2/images?tag=${tag}&${q}`, { token: t.as.bob.token })).body;
    assert.deepEqual((await get('sort_key=name&sort_dir=asc')).images.map((i: { name: string }) => i.name), ['page-0', 'page-1', 'page-2', 'page-3']);
    assert.deepEqual((await get('sort=name:desc&tag=odd')).images.map((i: { name: string }) => i.name), ['page-3', 'page-1']);
    assert.deepEqual((await get('disk_format=qcow2&os_hidden=true')).images.map((i: { name: string }) => i.name), ['page-4']);
    assert.deepEqual((await get('flavor_hint=f2')).images.map((i: { name: string }) => i.name), ['page-2']);
    assert.equal((await get('status=active')).images.length, 0);
    assert.equal((await get(`owner=${t.as.bob.projectId}`)).images.length, 4);
    assert.equal((await get('size_min=1')).images.length, 0);

    const first = await get('sort_key=name&sort_dir=asc&limit=3');
    assert.deepEqual(first.images.map((i: { name: string }) => i.name), ['page-0', 'page-1', 'page-2']);
    assert.equal(first.schema, '/v2/schemas/images');
    assert.match(first.next, /^\/v2\/images\?.*marker=/);
    const second = (await t.call('GET', first.next, { token: t.as.bob.token })).body;
    assert.deepEqual(second.images.map((i: { name: string }) => i.name), ['page-3']);
    assert.equal(second.next, undefined);
  });

  it('JSON patch adds, replaces and removes attributes and custom properties, and changes tags and protection', async () => {
    const img = await t.create(t.as.alice, { name: 'patched', os_distro: 'debian' });
    const r = await patch(t.as.alice.token, img.id, [
      { op: 'replace', path: '/name', value: 'renamed' }, { op: 'add', path: '/hw_firmware_type', value: 'uefi' },
      { op: 'replace', path: '/os_distro', value: 'ubuntu' }, { op: 'add', path: '/min_ram', value: 1024 },
      { op: 'replace', path: '/tags', value: ['x', 'y'] }, { op: 'add', path: '/protected', value: true },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.name, 'renamed');
    assert.equal(r.body.hw_firmware_type, 'uefi');
    assert.equal(r.body.os_distro, 'ubuntu');
    assert.equal(r.body.min_ram, 1024);
    assert.deepEqual(r.body.tags, ['x', 'y']);
    const del = await t.call('DELETE', `/v2/images/${img.id}`, { token: t.as.alice.token });
    assert.equal(del.status, 403);
    assert.equal(del.body.message, `Image ${img.id} is protected and cannot be deleted.`);
    const removed = await patch(t.as.alice.token, img.id, [{ op: 'remove', path: '/os_distro' }, { op: 'replace', path: '/protected', value: false }]);
    assert.equal(removed.body.os_distro, undefined);
    assert.equal((await patch(t.as.bob.token, img.id, [{ op: 'add', path: '/a', value: 'b' }])).status, 404, 'another project does not see it');
    assert.equal((await patch(t.as.rita.token, img.id, [{ op: 'add', path: '/a', value: 'b' }])).status, 403, 'a reader cannot modify');
    assert.equal((await t.call('DELETE', `/v2/images/${img.id}`, { token: t.as.alice.token })).status, 204);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).status, 404);
  });

  it('tags are added and removed one by one', async () => {
    const img = await t.create(t.as.alice, { name: 'tagged' });
    assert.equal((await t.call('PUT', `/v2/images/${img.id}/tags/blue`, { token: t.as.alice.token })).status, 204);
    assert.equal((await t.call('PUT', `/v2/images/${img.id}/tags/blue`, { token: t.as.alice.token })).status, 204);
    assert.deepEqual((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body.tags, ['blue']);
    assert.equal((await t.call('DELETE', `/v2/images/${img.id}/tags/blue`, { token: t.as.alice.token })).status, 204);
    assert.equal((await t.call('DELETE', `/v2/images/${img.id}/tags/blue`, { token: t.as.alice.token })).status, 404);
  });

  it('members: only the owner shares a shared image, only the member accepts, and accepted images are listed', async () => {
    const img = await t.create(t.as.alice, { name: 'shared-one', visibility: 'shared' });
    const members = `/v2/images/${img.id}/members`;
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.bob.token })).status, 404);
    const added = await t.call('POST', members, { token: t.as.alice.token, body: { member: t.as.bob.projectId } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(Object.keys(added.body).sort(), ['created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at']);
    assert.equal(added.body.status, 'pending');
    assert.equal((await t.call('POST', members, { token: t.as.alice.token, body: { member: t.as.bob.projectId } })).status, 409);
    assert.equal((await t.call('POST', members, { token: t.as.bob.token, body: { member: 'someone' } })).status, 403, 'a member cannot add members');

    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.bob.token })).status, 200, 'a pending member sees the image');
    const bobList = async (q = '') => names(await t.call('GET', `/v2/images?name=shared-one${q}`, { token: t.as.bob.token }));
    assert.deepEqual(await bobList(), [], 'not listed until accepted');
    assert.deepEqual(await bobList('&member_status=pending'), ['shared-one']);
    const byOwner = await t.call('PUT', `${members}/${t.as.bob.projectId}`, { token: t.as.alice.token, body: { status: 'accepted' } });
    assert.equal(byOwner.status, 403);
    const accepted = await t.call('PUT', `${members}/${t.as.bob.projectId}`, { token: t.as.bob.token, body: { status: 'accepted' } });
    assert.equal(accepted.body.status, 'accepted');
    assert.deepEqual(await bobList(), ['shared-one']);
    assert.equal((await t.call('GET', members, { token: t.as.bob.token })).body.members.length, 1);

    assert.equal((await t.call('DELETE', `${members}/${t.as.bob.projectId}`, { token: t.as.bob.token })).status, 403);
    assert.equal((await t.call('DELETE', `${members}/${t.as.bob.projectId}`, { token: t.as.alice.token })).status, 204);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.bob.token })).status, 404);
    const priv = await t.create(t.as.alice, { name: 'private-one', visibility: 'private' });
    const refused = await t.call('POST', `/v2/images/${priv.id}/members`, { token: t.as.alice.token, body: { member: t.as.bob.projectId } });
    assert.equal(refused.status, 403);
    assert.match(refused.body.message, /Only shared images have members/);
  });

  it('deactivate and reactivate are for admins, and only between active and deactivated', async () => {
    const img = await t.create(t.as.alice, { name: 'deact', disk_format: 'raw', container_format: 'bare' });
    assert.equal((await t.call('POST', `/v2/images/${img.id}/actions/deactivate`, { token: t.as.admin.token })).status, 400, 'a queued image');
    assert.equal((await t.upload(t.as.alice, img.id, Buffer.alloc(1024, 1))).status, 204);
    assert.equal((await t.call('POST', `/v2/images/${img.id}/actions/deactivate`, { token: t.as.alice.token })).status, 403);
    assert.equal((await t.call('POST', `/v2/images/${img.id}/actions/deactivate`, { token: t.as.admin.token })).status, 204);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body.status, 'deactivated');
    assert.equal((await t.call('POST', `/v2/images/${img.id}/actions/reactivate`, { token: t.as.admin.token })).status, 204);
    assert.equal((await t.call('GET', `/v2/images/${img.id}`, { token: t.as.alice.token })).body.status, 'active');
  });

  it('schemas and info documents describe what the API accepts', async () => {
    const token = t.as.rita.token;
    const image = (await t.call('GET', '/v2/schemas/image', { token })).body;
    assert.equal(image.name, 'image');
    assert.deepEqual(image.additionalProperties, { type: 'string' });
    assert.deepEqual(image.properties.visibility.enum, ['community', 'public', 'private', 'shared']);
    assert.equal(image.properties.status.readOnly, true);
    assert.equal((await t.call('GET', '/v2/schemas/images', { token })).body.properties.images.items.name, 'image');
    assert.deepEqual((await t.call('GET', '/v2/schemas/member', { token })).body.properties.status.enum, ['pending', 'accepted', 'rejected']);
    assert.equal((await t.call('GET', '/v2/schemas/members', { token })).body.name, 'members');
    assert.deepEqual((await t.call('GET', '/v2/info/import', { token })).body['import-methods'].value, ['glance-direct']);
    assert.deepEqual((await t.call('GET', '/v2/info/stores', { token })).body.stores.map((s: { id: string }) => s.id), ['file']);
  });
});
