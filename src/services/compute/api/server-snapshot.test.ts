// createImage through the whole flow: a queued image owned by the caller's project, the task states the agent walks,
// the driver's disk uploaded into Image (active, with its checksum), the Location header before 2.45 and the body
// after; refusals change nothing, and a failed snapshot leaves no image behind.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startCompute } from './test-compute.ts';
import type { TestCompute } from './test-compute.ts';

describe('createImage (server snapshot)', () => {
  let c: TestCompute;
  before(async () => { c = await startCompute({}, { hosts: ['host-a'] }); });
  after(async () => { await c?.close(); });

  const act = (id: string, body: unknown, version = '2.60', token = c.as.alice.token) => c.call('POST', `/v2.1/servers/${id}/action`, { token, version, body });
  const image = async (id: string, token = c.as.alice.token) => {
    const res = await fetch(`${c.imageUrl}/v2/images/${id}`, { headers: { 'x-auth-token': token } });
    return { status: res.status, body: res.status === 200 ? await res.json() as Record<string, unknown> : undefined };
  };
  const images = async () => ((await (await fetch(`${c.imageUrl}/v2/images`, { headers: { 'x-auth-token': c.as.alice.token } })).json()) as { images: { id: string; name: string }[] }).images;
  const untilImage = async (id: string, done: (img: Record<string, unknown> | undefined) => boolean) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const img = (await image(id)).body;
      if (done(img)) return img;
    }
    throw new Error(`image ${id} did not settle`);
  };
  let server: string;

  before(async () => {
    const res = await c.call('POST', '/v2.1/servers', {
      token: c.as.alice.token, version: '2.60', body: { server: { name: 'snap-me', imageRef: c.imageId, flavorRef: '1', networks: 'none' } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    server = res.body.server.id;
    await c.waitForServer(server, c.as.alice.token, (s) => s?.status === 'ACTIVE');
  });

  it('uploads the guest disk into a new image of the project (2.45+: image_id in the body)', async () => {
    const res = await act(server, { createImage: { name: 'snap-1', metadata: { purpose: 'test' } } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.image_id as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    const img = await untilImage(id, (i) => i?.status === 'active');
    assert.equal(img!.name, 'snap-1');
    assert.equal(img!.visibility, 'private');
    assert.equal(img!.owner, c.as.alice.projectId);
    assert.equal(img!.image_type, 'snapshot');
    assert.equal(img!.instance_uuid, server);
    assert.equal(img!.base_image_ref, c.imageId);
    assert.equal(img!.purpose, 'test');
    assert.equal(img!.disk_format, 'raw');
    // The data Image holds is what the driver read off the guest's disk.
    const data = Buffer.from(await (await fetch(`${c.imageUrl}/v2/images/${id}/file`, { headers: { 'x-auth-token': c.as.alice.token } })).arrayBuffer());
    assert.equal(img!.checksum, createHash('md5').update(data).digest('hex'));
    assert.match(data.toString('utf8'), new RegExp(`"fakeSnapshotOf":"${server}"`));
    const s = await c.waitForServer(server, c.as.alice.token, (v) => v?.['OS-EXT-STS:task_state'] === null);
    assert.equal(s.status, 'ACTIVE');
    const events = await c.call('GET', `/v2.1/servers/${server}/os-instance-actions`, { token: c.as.alice.token, version: '2.60' });
    assert.ok(events.body.instanceActions.some((a: { action: string }) => a.action === 'createImage'));
  });

  it('answers with the image URL in Location before 2.45', async () => {
    const res = await act(server, { createImage: { name: 'snap-2' } }, '2.1');
    assert.equal(res.status, 202);
    const location = res.headers.get('location') ?? '';
    assert.ok(location.startsWith(`${c.imageUrl}/v2/images/`), location);
    await untilImage(location.split('/').at(-1)!, (i) => i?.status === 'active');
    await c.waitForServer(server, c.as.alice.token, (v) => v?.['OS-EXT-STS:task_state'] === null);
  });

  it('refuses bad input, other projects and busy or stopped-by-state servers without making an image', async () => {
    const before = (await images()).length;
    assert.equal((await act(server, { createImage: {} })).status, 400);
    assert.equal((await act(server, { createImage: { name: '' } })).status, 400);
    assert.equal((await act(server, { createImage: { name: ' padded ' } })).status, 400);
    assert.equal((await act(server, { createImage: { name: 'x', metadata: { k: 1 } } })).status, 400);
    assert.equal((await act(server, { createImage: { name: 'x', bogus: true } })).status, 400);
    assert.equal((await act(server, { createImage: { name: 'x' } }, '2.60', c.as.bob.token)).status, 404);
    assert.equal((await act(server, { createImage: { name: 'x' } }, '2.60', c.as.rita.token)).status, 403);
    assert.equal((await act(server, { lock: null })).status, 202);
    assert.equal((await act(server, { createImage: { name: 'x' } })).status, 409, 'locked');
    assert.equal((await act(server, { unlock: null })).status, 202);
    assert.equal((await images()).length, before);
  });

  it('deletes the image when the driver fails, and the server stays usable', async () => {
    const driver = c.drivers['host-a'] as unknown as { snapshot: unknown };
    const original = driver.snapshot;
    driver.snapshot = async () => { throw new Error('disk unreadable'); };
    try {
      const res = await act(server, { createImage: { name: 'doomed' } });
      assert.equal(res.status, 202);
      const id = res.body.image_id as string;
      await untilImage(id, (i) => i === undefined);
      const s = await c.waitForServer(server, c.as.alice.token, (v) => v?.['OS-EXT-STS:task_state'] === null);
      assert.equal(s.status, 'ACTIVE');
    } finally {
      driver.snapshot = original;
    }
  });
});
