// Async SLO delete through the Swift API: DELETE ?multipart-manifest=delete&async=yes answers 204 at once, the manifest
// is gone, and the expirer removes the segments from the replicas, listing and stats on its next pass.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('object storage async SLO delete', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  /** Uploads `count` segments to `container` and a manifest over them; the segment names. */
  async function largeObject(name: string, container: string, count: number): Promise<string[]> {
    const segments: { path: string; etag: string; size_bytes: number }[] = [];
    for (let i = 0; i < count; i++) {
      const data = randomBytes(1000 + i);
      assert.equal((await os.call('PUT', `${base}/${container}/${name}/${i}`, { token, body: data })).status, 201);
      segments.push({ path: `/${container}/${name}/${i}`, etag: md5(data), size_bytes: data.length });
    }
    assert.equal((await os.call('PUT', `${base}/files/${name}?multipart-manifest=put`, { token, body: JSON.stringify(segments) })).status, 201);
    return segments.map((s) => s.path);
  }
  before(async () => {
    os = await startObjectStorage({ expirer_interval: 1 });
    token = os.as.alice.token;
    base = os.account(os.as.alice);
    for (const c of ['files', 'segs', 'other']) assert.equal((await os.call('PUT', `${base}/${c}`, { token })).status, 201);
  });
  after(() => os?.close());

  it('answers 204 with the manifest gone; the expirer removes the segments and their stats', async () => {
    const segments = await largeObject('big', 'segs', 5);
    const r = await os.call('DELETE', `${base}/files/big?multipart-manifest=delete&async=yes`, { token });
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.equal((await os.call('HEAD', `${base}/files/big?multipart-manifest=get`, { token })).status, 404);
    for (const s of segments) assert.equal((await os.call('GET', `${base}${s}`, { token })).status, 404, 'a scheduled segment is not served');
    for (let i = 0; i < 40; i++) {
      if ((await os.call('HEAD', `${base}/segs`, { token })).headers.get('x-container-object-count') === '0') break;
      await sleep(250);
    }
    const head = await os.call('HEAD', `${base}/segs`, { token });
    assert.equal(head.headers.get('x-container-object-count'), '0', 'the expirer removed every segment');
    assert.equal(head.headers.get('x-container-bytes-used'), '0');
    const info = JSON.parse((await os.call('GET', '/info')).text) as { slo: { allow_async_delete: boolean } };
    assert.equal(info.slo.allow_async_delete, true);
  });

  it('refuses segments in several containers, a plain object and another project, leaving everything in place', async () => {
    const a = randomBytes(1200), b = randomBytes(1300);
    await os.call('PUT', `${base}/segs/mixed-a`, { token, body: a });
    await os.call('PUT', `${base}/other/mixed-b`, { token, body: b });
    const manifest = [{ path: '/segs/mixed-a', etag: md5(a), size_bytes: a.length }, { path: '/other/mixed-b', etag: md5(b), size_bytes: b.length }];
    assert.equal((await os.call('PUT', `${base}/files/mixed?multipart-manifest=put`, { token, body: JSON.stringify(manifest) })).status, 201);
    const mixed = await os.call('DELETE', `${base}/files/mixed?multipart-manifest=delete&async=yes`, { token });
    assert.equal(mixed.status, 400);
    assert.match(mixed.text, /All segments must be in one container. Found segments in (segs, other|other, segs)/);
    assert.equal((await os.call('GET', `${base}/segs/mixed-a`, { token })).status, 200);
    assert.equal((await os.call('HEAD', `${base}/files/mixed`, { token })).status, 200);

    await os.call('PUT', `${base}/files/plain`, { token, body: 'p' });
    const plain = await os.call('DELETE', `${base}/files/plain?multipart-manifest=delete&async=yes`, { token });
    assert.equal(plain.status, 400);
    assert.match(plain.text, /Not an SLO manifest/);
    const stranger = await os.call('DELETE', `${base}/files/mixed?multipart-manifest=delete&async=yes`, { token: os.as.bob.token });
    assert.equal(stranger.status, 403);
    assert.equal((await os.call('DELETE', `${base}/files/none?multipart-manifest=delete&async=yes`, { token })).status, 404);
  });

  it('a segment uploaded again after the async delete survives the expirer', async () => {
    const segments = await largeObject('again', 'segs', 2);
    assert.equal((await os.call('DELETE', `${base}/files/again?multipart-manifest=delete&async=on`, { token })).status, 204);
    assert.equal((await os.call('PUT', `${base}${segments[0]}`, { token, body: 'new life' })).status, 201);
    await sleep(2500);
    assert.equal((await os.call('GET', `${base}${segments[0]}`, { token })).text, 'new life');
    assert.equal((await os.call('GET', `${base}${segments[1]}`, { token })).status, 404);
  });
});
