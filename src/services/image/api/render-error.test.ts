import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorFormatFor } from './render-error.ts';
import { startImage } from './test-image.ts';
import type { TestImage } from './test-image.ts';

describe('Glance error format negotiation', () => {
  it('picks HTML for anything, JSON only when preferred, plain text otherwise', () => {
    assert.equal(errorFormatFor(undefined), 'html');
    assert.equal(errorFormatFor('*/*'), 'html');
    assert.equal(errorFormatFor('application/json'), 'json');
    assert.equal(errorFormatFor('application/json, */*;q=0.5'), 'json');
    assert.equal(errorFormatFor('text/html;q=0.2, application/json;q=0.9'), 'json');
    assert.equal(errorFormatFor('application/octet-stream'), 'plain');
    assert.equal(errorFormatFor('text/plain'), 'plain');
  });

  let img: TestImage;
  before(async () => { img = await startImage(); });
  after(async () => { await img.close(); });

  it('answers */* with an HTML page carrying the escaped message, and JSON clients with JSON', async () => {
    const id = '00000000-0000-4000-8000-00000000abcd';
    const html = await img.call('GET', `/v2/images/${id}`, { token: img.as.alice.token, headers: { accept: '*/*' } });
    assert.equal(html.status, 404);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(html.body, /<title>404 Not Found<\/title>/);
    assert.ok(html.body.includes(id));
    const json = await img.call('GET', `/v2/images/${id}`, { token: img.as.alice.token });
    assert.equal(json.body.code, '404 Not Found');
    const plain = await img.call('GET', `/v2/images/${id}/file`, { token: img.as.alice.token, headers: { accept: 'application/octet-stream' } });
    assert.equal(plain.status, 404);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/plain/);
  });

  it('escapes markup from user input in HTML errors', async () => {
    const res = await img.call('GET', '/v2/images?sort_key=<script>', { token: img.as.alice.token, headers: { accept: '*/*' } });
    assert.equal(res.status, 400);
    assert.ok(!String(res.body).includes('<script>'));
  });
});
