// Every route authorizes, as Glance's secure-RBAC defaults do: admin, a member and a reader of the owning project, and
// a member of another project get the status each should. Another project's private image is 404, never 403, so ids
// do not leak; a reader sees but neither changes nor downloads. Routes that change or consume an image get a fresh
// one for each persona, so one persona's success does not decide the next one's answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startImage } from './test-image.ts';
import type { PersonaName, TestImage } from './test-image.ts';

type Expect = Record<PersonaName, number>;
interface Row {
  what: string;
  method: string;
  path: (id: string) => string;
  /** A new image for each persona, in this state (default: the shared active image). */
  fresh?: 'queued' | 'active' | 'deactivated' | 'tagged' | 'shared';
  body?: unknown;
  raw?: Buffer;
  contentType?: string;
  expect: Expect;
}

const PATCH = 'application/openstack-images-v2.1-json-patch';

describe('image API: persona × route matrix', () => {
  let t: TestImage;
  let shared: string;

  async function image(state: Row['fresh'] | undefined): Promise<string> {
    const created = await t.create(t.as.alice, { name: 'matrix', disk_format: 'raw', container_format: 'bare', visibility: state === 'shared' ? 'shared' : 'private', tags: state === 'tagged' ? ['old'] : [] });
    if (state === 'queued') return created.id;
    assert.equal((await t.upload(t.as.alice, created.id, Buffer.from('matrix data'))).status, 204);
    if (state === 'deactivated') assert.equal((await t.call('POST', `/v2/images/${created.id}/actions/deactivate`, { token: t.as.admin.token })).status, 204);
    return created.id;
  }

  before(async () => {
    t = await startImage();
    shared = await image('active');
  });
  after(async () => { await t?.close(); });

  const rows: Row[] = [
    { what: 'show', method: 'GET', path: (id) => `/v2/images/${id}`, expect: { admin: 200, alice: 200, rita: 200, bob: 404 } },
    { what: 'list members', method: 'GET', path: (id) => `/v2/images/${id}/members`, expect: { admin: 200, alice: 200, rita: 200, bob: 404 } },
    { what: 'download', method: 'GET', path: (id) => `/v2/images/${id}/file`, expect: { admin: 200, alice: 200, rita: 403, bob: 404 } },
    { what: 'update', method: 'PATCH', path: (id) => `/v2/images/${id}`, raw: Buffer.from(JSON.stringify([{ op: 'replace', path: '/name', value: 'renamed' }])), contentType: PATCH, expect: { admin: 200, alice: 200, rita: 403, bob: 404 } },
    { what: 'make public', method: 'PATCH', path: (id) => `/v2/images/${id}`, fresh: 'active', raw: Buffer.from(JSON.stringify([{ op: 'replace', path: '/visibility', value: 'public' }])), contentType: PATCH, expect: { admin: 200, alice: 403, rita: 403, bob: 404 } },
    { what: 'add a tag', method: 'PUT', path: (id) => `/v2/images/${id}/tags/new`, fresh: 'active', expect: { admin: 204, alice: 204, rita: 403, bob: 404 } },
    { what: 'delete a tag', method: 'DELETE', path: (id) => `/v2/images/${id}/tags/old`, fresh: 'tagged', expect: { admin: 204, alice: 204, rita: 403, bob: 404 } },
    { what: 'upload', method: 'PUT', path: (id) => `/v2/images/${id}/file`, fresh: 'queued', raw: Buffer.from('bytes'), contentType: 'application/octet-stream', expect: { admin: 204, alice: 204, rita: 403, bob: 404 } },
    { what: 'stage', method: 'PUT', path: (id) => `/v2/images/${id}/stage`, fresh: 'queued', raw: Buffer.from('bytes'), contentType: 'application/octet-stream', expect: { admin: 204, alice: 204, rita: 403, bob: 404 } },
    { what: 'share', method: 'POST', path: (id) => `/v2/images/${id}/members`, fresh: 'shared', body: {}, expect: { admin: 200, alice: 200, rita: 403, bob: 404 } },
    { what: 'deactivate', method: 'POST', path: (id) => `/v2/images/${id}/actions/deactivate`, fresh: 'active', expect: { admin: 204, alice: 403, rita: 403, bob: 404 } },
    { what: 'reactivate', method: 'POST', path: (id) => `/v2/images/${id}/actions/reactivate`, fresh: 'deactivated', expect: { admin: 204, alice: 403, rita: 403, bob: 404 } },
    { what: 'delete', method: 'DELETE', path: (id) => `/v2/images/${id}`, fresh: 'active', expect: { admin: 204, alice: 204, rita: 403, bob: 404 } },
    { what: 'create', method: 'POST', path: () => '/v2/images', body: { name: 'new', disk_format: 'raw', container_format: 'bare' }, expect: { admin: 201, alice: 201, rita: 403, bob: 201 } },
    { what: 'stores detail', method: 'GET', path: () => '/v2/info/stores/detail', expect: { admin: 200, alice: 403, rita: 403, bob: 403 } },
  ];

  for (const row of rows) {
    it(`${row.what}: ${JSON.stringify(row.expect)}`, async () => {
      for (const who of ['admin', 'alice', 'rita', 'bob'] as PersonaName[]) {
        const id = row.fresh ? await image(row.fresh) : shared;
        // Sharing (only shared images have members) names the other project as the member.
        const body = row.what === 'share' ? { member: t.as.bob.projectId } : row.body;
        const r = await t.call(row.method, row.path(id), { token: t.as[who].token, body, raw: row.raw, contentType: row.contentType });
        assert.equal(r.status, row.expect[who], `${who}: ${row.method} ${row.what} → ${r.status} ${JSON.stringify(r.body)}`);
      }
    });
  }
});
