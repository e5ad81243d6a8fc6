// Concurrency is the database's job: on SQLite, PostgreSQL and MariaDB, two Placement instances sharing one database
// take many racing claims and never over-commit; generations make racing writers lose cleanly with 409s.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { dropDatabase, openDatabase } from '#lib/db/index.ts';
import { skipUnlessReachable, testServerUrls } from '#lib/test-servers.ts';
import { startPlacement } from '../api/test-placement.ts';
import type { Reply, TestPlacement } from '../api/test-placement.ts';

const sqliteDir = mkdtempSync(join(tmpdir(), 'placement-race-'));
const engines: [string, string, string | undefined][] = [['SQLite', `sqlite://${sqliteDir}/placement.sqlite`, undefined]];
for (const [name, serverUrl] of [['PostgreSQL', testServerUrls.postgres], ['MariaDB', testServerUrls.mysql]] as const) {
  const skip = await skipUnlessReachable(name, async () => (await openDatabase({ url: serverUrl })).close());
  engines.push([name, serverUrl.replace(/\/[^/]*$/, `/stratus_pltest_${randomBytes(4).toString('hex')}`), skip]);
}

const claim = (rp: string, vcpu: number, generation: number | null = null) => ({
  allocations: { [rp]: { resources: { VCPU: vcpu } } }, project_id: 'p', user_id: 'u', consumer_generation: generation, consumer_type: 'INSTANCE',
});

function assertConflict(r: Reply, code: string | RegExp, what: string): void {
  assert.equal(r.status, 409, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.match(r.body.errors[0].code, typeof code === 'string' ? new RegExp(`^${code.replaceAll('.', '\\.')}$`) : code, what);
}

for (const [engine, databaseUrl, skip] of engines) {
  describe(`placement concurrency on ${engine}`, { skip }, () => {
    let a: TestPlacement;
    let b: TestPlacement;
    before(async () => {
      a = await startPlacement({ databaseUrl });
      b = await startPlacement({ databaseUrl });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      if (engine === 'SQLite') rmSync(sqliteDir, { recursive: true, force: true });
      else await dropDatabase(databaseUrl);
    });
    /** Alternates between the two instances, each with its own tokens. */
    const via = (i: number) => (i % 2 === 0 ? a : b);

    it('takes exactly as many of 40 racing claims as the capacity holds, through two instances', async () => {
      const rp = await a.provider(`race-${randomUUID()}`);
      await a.inventory(rp.uuid, { VCPU: { total: 6, allocation_ratio: 2 } });
      const consumers = Array.from({ length: 40 }, () => randomUUID());
      const replies = await Promise.all(consumers.map((c, i) => via(i).call('PUT', `/allocations/${c}`, { token: via(i).as.service, body: claim(rp.uuid, 1) })));
      const won = replies.filter((r) => r.status === 204).length;
      for (const r of replies.filter((x) => x.status !== 204)) assertConflict(r, /^placement\.(undefined_code|concurrent_update)$/, 'a refused claim');
      assert.equal(won, 12, `exactly (6 − 0) × 2 claims fit: ${replies.map((r) => r.status).join(' ')}`);
      const usage = await a.call('GET', `/resource_providers/${rp.uuid}/usages`, { token: a.as.admin });
      assert.equal(usage.body.usages.VCPU, 12);
      const allocations = await b.call('GET', `/resource_providers/${rp.uuid}/allocations`, { token: b.as.admin });
      assert.equal(Object.keys(allocations.body.allocations).length, 12);
      assert.equal(usage.body.resource_provider_generation, 1 + 12, 'each claim bumped the generation once');
    });

    it('never over-commits when claims of different sizes race across two providers of a multi-provider request', async () => {
      const [x, y] = [await a.provider(`race-x-${randomUUID()}`), await a.provider(`race-y-${randomUUID()}`)];
      await a.inventory(x.uuid, { VCPU: { total: 10 } });
      await a.inventory(y.uuid, { VCPU: { total: 7 } });
      const sizes = Array.from({ length: 24 }, (_, i) => 1 + (i % 3));
      const replies = await Promise.all(sizes.map((n, i) => via(i).call('POST', '/allocations', {
        token: via(i).as.service,
        body: { [randomUUID()]: { ...claim(x.uuid, n), allocations: { [x.uuid]: { resources: { VCPU: n } }, [y.uuid]: { resources: { VCPU: 1 } } } } },
      })));
      const used = sizes.filter((_, i) => replies[i].status === 204);
      const ux = (await a.call('GET', `/resource_providers/${x.uuid}/usages`, { token: a.as.admin })).body.usages.VCPU;
      const uy = (await a.call('GET', `/resource_providers/${y.uuid}/usages`, { token: a.as.admin })).body.usages.VCPU;
      assert.equal(ux, used.reduce((s, n) => s + n, 0), 'usage is exactly the sum of the claims that succeeded');
      assert.equal(uy, used.length, 'both halves of every claim, or neither');
      assert.ok(ux <= 10 && uy <= 7, `capacity held: x ${ux}/10, y ${uy}/7`);
      assert.ok(used.length > 0);
    });

    it('lets one of ten writers with the same provider generation win; the rest get concurrent_update', async () => {
      const rp = await a.provider(`cas-${randomUUID()}`);
      const replies = await Promise.all(Array.from({ length: 10 }, (_, i) => via(i).call('PUT', `/resource_providers/${rp.uuid}/inventories`, {
        token: via(i).as.admin, body: { resource_provider_generation: 0, inventories: { VCPU: { total: i + 1 } } },
      })));
      assert.equal(replies.filter((r) => r.status === 200).length, 1);
      for (const r of replies.filter((x) => x.status !== 200)) assertConflict(r, 'placement.concurrent_update', 'a stale inventory write');
      const gen = (await a.call('GET', `/resource_providers/${rp.uuid}`, { token: a.as.admin })).body.generation;
      assert.equal(gen, 1);
    });

    it('lets one of several first claims for the same consumer win (consumer_generation null)', async () => {
      const rp = await a.provider(`consumer-race-${randomUUID()}`);
      await a.inventory(rp.uuid, { VCPU: { total: 100 } });
      const consumer = randomUUID();
      const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => via(i).call('PUT', `/allocations/${consumer}`, { token: via(i).as.service, body: claim(rp.uuid, 1 + i) })));
      assert.equal(replies.filter((r) => r.status === 204).length, 1, replies.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('\n'));
      for (const r of replies.filter((x) => x.status !== 204)) assertConflict(r, 'placement.concurrent_update', 'a second first claim');
      const shown = await a.call('GET', `/allocations/${consumer}`, { token: a.as.admin });
      assert.equal(shown.body.consumer_generation, 1);
    });

    it('never leaves a claim on a deleted provider when deletion and claims race', async () => {
      for (let round = 0; round < 5; round++) {
        const rp = await a.provider(`doomed-${randomUUID()}`);
        await a.inventory(rp.uuid, { VCPU: { total: 4 } });
        const [claimed, deleted] = await Promise.all([
          b.call('PUT', `/allocations/${randomUUID()}`, { token: b.as.service, body: claim(rp.uuid, 1) }),
          a.call('DELETE', `/resource_providers/${rp.uuid}`, { token: a.as.admin }),
        ]);
        if (deleted.status === 204) {
          assert.ok(claimed.status === 400 || claimed.status === 409, `claim after delete: ${claimed.status} ${JSON.stringify(claimed.body)}`);
          assert.equal((await a.call('GET', `/resource_providers/${rp.uuid}`, { token: a.as.admin })).status, 404);
        } else {
          assert.equal(claimed.status, 204);
          assertConflict(deleted, 'placement.resource_provider.inuse', 'deleting a provider that won a claim');
        }
      }
    });

    it('keeps every inventory\'s used equal to the sum of its allocations after all the races', async () => {
      const db = a.api.store.db;
      const sums = await db.selectFrom('allocations').select(['provider_uuid', 'resource_class', (eb) => eb.fn.sum<number>('used').as('used')])
        .groupBy(['provider_uuid', 'resource_class']).execute();
      const expected = new Map(sums.map((r) => [`${r.provider_uuid} ${r.resource_class}`, Number(r.used)]));
      const inventories = await db.selectFrom('inventories').select(['provider_uuid', 'resource_class', 'used']).execute();
      assert.ok(inventories.length > 0);
      for (const i of inventories) assert.equal(Number(i.used), expected.get(`${i.provider_uuid} ${i.resource_class}`) ?? 0, `${i.provider_uuid} ${i.resource_class}`);
      assert.ok([...expected.keys()].every((k) => inventories.some((i) => `${i.provider_uuid} ${i.resource_class}` === k)), 'no allocation without an inventory');
    });
  });
}
