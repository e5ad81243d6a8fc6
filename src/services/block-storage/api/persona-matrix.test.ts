// Every route authorizes: admin, a member and a reader of the owning project, and a member of another project get
// the status each should (other projects' resources are 404, never 403, so ids do not leak).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startBlockStorageForTest } from './test-block-storage.ts';
import type { PersonaName, TestBlockStorage } from './test-block-storage.ts';

type Expect = Record<'admin' | 'alice' | 'rita' | 'bob', number>;

describe('block storage API: persona × route matrix', () => {
  let c: TestBlockStorage;
  let volumeId: string;
  let snapshotId: string;
  before(async () => {
    c = await startBlockStorageForTest();
    const { alice } = c.as;
    volumeId = (await c.createVolume(alice, { size: 1, metadata: { k: 'v' } })).id;
    const s = await c.call('POST', c.p(alice, '/snapshots'), { token: alice.token, body: { snapshot: { volume_id: volumeId, metadata: { k: 'v' } } } });
    snapshotId = (await c.waitFor(alice, c.p(alice, `/snapshots/${s.body.snapshot.id}`), ['available'])).snapshot.id;
  });
  after(async () => { await c?.close(); });

  const rows: [string, string, (ids: { v: string; s: string; a: string }) => string, unknown, Expect][] = [
    ['show volume', 'GET', ({ v }) => `/volumes/${v}`, undefined, { admin: 200, alice: 200, rita: 200, bob: 404 }],
    ['update volume', 'PUT', ({ v }) => `/volumes/${v}`, { volume: { description: 'x' } }, { admin: 200, alice: 200, rita: 403, bob: 404 }],
    ['read volume metadata', 'GET', ({ v }) => `/volumes/${v}/metadata/k`, undefined, { admin: 200, alice: 200, rita: 200, bob: 404 }],
    ['write volume metadata', 'POST', ({ v }) => `/volumes/${v}/metadata`, { metadata: { k: 'w' } }, { admin: 200, alice: 200, rita: 403, bob: 404 }],
    ['set bootable', 'POST', ({ v }) => `/volumes/${v}/action`, { 'os-set_bootable': { bootable: false } }, { admin: 200, alice: 200, rita: 403, bob: 404 }],
    ['reset volume status', 'POST', ({ v }) => `/volumes/${v}/action`, { 'os-reset_status': { status: 'available' } }, { admin: 202, alice: 403, rita: 403, bob: 404 }],
    ['show snapshot', 'GET', ({ s }) => `/snapshots/${s}`, undefined, { admin: 200, alice: 200, rita: 200, bob: 404 }],
    ['update snapshot', 'PUT', ({ s }) => `/snapshots/${s}`, { snapshot: { name: 'n' } }, { admin: 200, alice: 200, rita: 403, bob: 404 }],
    ['read snapshot metadata', 'GET', ({ s }) => `/snapshots/${s}/metadata`, undefined, { admin: 200, alice: 200, rita: 200, bob: 404 }],
    ['write snapshot metadata', 'PUT', ({ s }) => `/snapshots/${s}/metadata`, { metadata: { k: 'z' } }, { admin: 200, alice: 200, rita: 403, bob: 404 }],
    ['show quotas of the project', 'GET', ({ a }) => `/os-quota-sets/${a}`, undefined, { admin: 200, alice: 200, rita: 200, bob: 403 }],
    ['update quotas', 'PUT', ({ a }) => `/os-quota-sets/${a}`, { quota_set: { volumes: 20 } }, { admin: 200, alice: 403, rita: 403, bob: 403 }],
    ['list services', 'GET', () => '/os-services', undefined, { admin: 200, alice: 403, rita: 403, bob: 403 }],
    ['create a volume type', 'POST', () => '/types', { volume_type: { name: `t-${Math.random()}` } }, { admin: 200, alice: 403, rita: 403, bob: 403 }],
    ['create a volume', 'POST', () => '/volumes', { volume: { size: 1 } }, { admin: 202, alice: 202, rita: 403, bob: 202 }],
  ];

  for (const [what, method, path, body, expected] of rows) {
    it(`${what}: ${JSON.stringify(expected)}`, async () => {
      for (const who of ['admin', 'alice', 'rita', 'bob'] as PersonaName[]) {
        const persona = c.as[who];
        const r = await c.call(method, c.p(persona, path({ v: volumeId, s: snapshotId, a: c.as.alice.projectId })), { token: persona.token, body });
        assert.equal(r.status, expected[who as keyof Expect], `${who}: ${method} → ${r.status} ${JSON.stringify(r.body)}`);
      }
    });
  }
});
