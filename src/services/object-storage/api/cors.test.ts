// CORS through the Swift API: container metadata allows origins, OPTIONS preflights answer 200 or 401 as Swift's
// proxy does, actual responses carry Access-Control-Allow-Origin and -Expose-Headers only for allowed origins.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startObjectStorage } from './test-object-storage.ts';
import type { TestObjectStorage } from './test-object-storage.ts';

describe('object storage CORS', () => {
  let os: TestObjectStorage;
  let base: string;
  let token: string;
  before(async () => {
    os = await startObjectStorage({ cors_allow_origin: ['https://cluster.example'] });
    token = os.as.alice.token;
    base = os.account(os.as.alice);
    await os.call('PUT', `${base}/web`, {
      token, headers: {
        'x-container-read': '.r:*', 'x-container-meta-access-control-allow-origin': 'https://a.example https://b.example',
        'x-container-meta-access-control-max-age': '600', 'x-container-meta-access-control-expose-headers': 'X-Custom-Thing',
      },
    });
    await os.call('PUT', `${base}/web/page.html`, { token, body: '<p>hi</p>', headers: { 'x-object-meta-color': 'blue' } });
  });
  after(() => os?.close());

  it('answers a preflight from an allowed origin with the allowed methods, max age and requested headers', async () => {
    const r = await os.call('OPTIONS', `${base}/web/page.html`, {
      headers: { origin: 'https://b.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-auth-token, content-type' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://b.example');
    assert.equal(r.headers.get('access-control-max-age'), '600');
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /PUT/);
    assert.equal(r.headers.get('access-control-allow-headers'), 'x-auth-token, content-type');
    assert.match(r.headers.get('vary') ?? '', /Origin/);
    assert.equal((await os.call('OPTIONS', `${base}/web`, { headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } })).status, 200);
  });

  it('refuses a preflight from another origin or for a method not allowed with 401; a plain OPTIONS lists Allow', async () => {
    assert.equal((await os.call('OPTIONS', `${base}/web/page.html`, { headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } })).status, 401);
    assert.equal((await os.call('OPTIONS', `${base}/web/page.html`, { headers: { origin: 'https://a.example', 'access-control-request-method': 'PATCH' } })).status, 401);
    assert.equal((await os.call('OPTIONS', `${base}/nothing-here/x`, { headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' } })).status, 401);
    const plain = await os.call('OPTIONS', `${base}/web/page.html`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('allow'), 'HEAD, GET, PUT, POST, DELETE, OPTIONS');
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
  });

  it('adds Allow-Origin and Expose-Headers (defaults, metadata, the container list) to responses for allowed origins only', async () => {
    const got = await os.call('GET', `${base}/web/page.html`, { headers: { origin: 'https://a.example' } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('access-control-allow-origin'), 'https://a.example');
    const exposed = (got.headers.get('access-control-expose-headers') ?? '').split(', ');
    for (const h of ['etag', 'x-trans-id', 'x-object-meta-color', 'x-custom-thing']) assert.ok(exposed.includes(h), h);
    const other = await os.call('GET', `${base}/web/page.html`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.status, 200);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    const missing = await os.call('GET', `${base}/web/none`, { headers: { origin: 'https://a.example' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), 'https://a.example', 'errors carry it too, so the page can read them');
  });

  it('allows the cluster-wide origins on every container, and `*` answers `*`', async () => {
    await os.call('PUT', `${base}/plain`, { token });
    const r = await os.call('OPTIONS', `${base}/plain/x`, { headers: { origin: 'https://cluster.example', 'access-control-request-method': 'GET' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), 'https://cluster.example');
    await os.call('POST', `${base}/plain`, { token, headers: { 'x-container-meta-access-control-allow-origin': '*' } });
    const any = await os.call('HEAD', `${base}/plain`, { token, headers: { origin: 'https://anywhere.example' } });
    assert.equal(any.headers.get('access-control-allow-origin'), '*');
    assert.match(any.headers.get('access-control-expose-headers') ?? '', /x-container-meta-access-control-allow-origin/);
  });
});
