// GET /allocation_candidates keeps the provider graph between requests (db/provider-graph-cache.ts): every change must
// still show in the next answer — from this process, including the writes that bump no generation, and from another
// process writing to the same database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Kysely } from 'kysely';
import { NodeSqliteDialect } from '#lib/db/index.ts';
import { until } from '#lib/test-wait.ts';
import type { PlacementStore, PlacementTables } from '../db/tables.ts';
import { createProvider, deleteProvider, updateProvider } from '../db/providers-repo.ts';
import { setProviderTraits } from '../db/traits-repo.ts';
import { setProviderAggregates } from '../db/aggregates-repo.ts';
import { startPlacement } from './test-placement.ts';
import type { TestPlacement } from './test-placement.ts';

type Candidates = { allocation_requests: { allocations: Record<string, unknown> }[]; provider_summaries: Record<string, { resources: Record<string, { used: number }>; traits: string[]; root_provider_uuid: string }> };

async function candidates(t: TestPlacement, query: string): Promise<Candidates> {
  const r = await t.call('GET', `/allocation_candidates?${query}`, { token: t.as.service });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const offers = (c: Candidates, uuid: string): boolean => c.allocation_requests.some((r) => uuid in r.allocations);

describe('placement API: allocation candidates follow every change of the provider graph', () => {
  const dir = mkdtempSync(join(tmpdir(), 'placement-cache-'));
  const databaseUrl = `sqlite://${dir}/placement.sqlite`;
  let t: TestPlacement;
  before(async () => { t = await startPlacement({ databaseUrl }); });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees this process\'s writes that bump no generation: aggregates before 1.19, a class rename, a re-parent', async () => {
    const cn = await t.provider('cache-cn');
    assert.equal((await t.call('POST', '/resource_classes', { token: t.as.admin, version: '1.2', body: { name: 'CUSTOM_GOLD' } })).status, 201);
    await t.inventory(cn.uuid, { VCPU: { total: 4 }, CUSTOM_GOLD: { total: 2 } });
    const agg = randomUUID();
    assert.equal((await candidates(t, `resources=VCPU:1&member_of=${agg}`)).allocation_requests.length, 0);

    const put = await t.call('PUT', `/resource_providers/${cn.uuid}/aggregates`, { token: t.as.admin, version: '1.18', body: [agg] });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.ok(offers(await candidates(t, `resources=VCPU:1&member_of=${agg}`), cn.uuid), 'a blind aggregate write shows at once');

    assert.ok(offers(await candidates(t, 'resources=CUSTOM_GOLD:1'), cn.uuid));
    assert.equal((await t.call('PUT', '/resource_classes/CUSTOM_GOLD', { token: t.as.admin, version: '1.6', body: { name: 'CUSTOM_SILVER' } })).status, 200);
    assert.ok(offers(await candidates(t, 'resources=CUSTOM_SILVER:1'), cn.uuid), 'the renamed class is offered under its new name');
    assert.equal((await t.call('GET', '/allocation_candidates?resources=CUSTOM_GOLD:1', { token: t.as.service })).status, 400);

    const top = await t.provider('cache-top');
    const moved = await t.call('PUT', `/resource_providers/${cn.uuid}`, { token: t.as.admin, body: { name: 'cache-cn', parent_provider_uuid: top.uuid } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal((await candidates(t, `resources=VCPU:1&in_tree=${top.uuid}`)).provider_summaries[cn.uuid]?.root_provider_uuid, top.uuid);
  });

  it('sees writes made through another connection (another process): traits, deleted and new providers, blind aggregates, a re-parent', async () => {
    // node:sqlite connections are shared per file inside one process, so the other writer gets its own connection here.
    const otherDb = new Kysely<PlacementTables>({ dialect: new NodeSqliteDialect({ path: join(dir, 'placement.sqlite') }) });
    const elsewhere: PlacementStore = { db: otherDb, dialect: 'sqlite' };
    try {
      const cn = await t.provider('shared-cn');
      await t.inventory(cn.uuid, { VCPU: { total: 2 } });
      const q = `resources=VCPU:1&in_tree=${cn.uuid}`;
      assert.deepEqual((await candidates(t, q)).provider_summaries[cn.uuid].traits, []);
      await setProviderTraits(elsewhere, cn.uuid, ['HW_CPU_X86_AVX2']);
      assert.deepEqual((await candidates(t, q)).provider_summaries[cn.uuid].traits, ['HW_CPU_X86_AVX2'], 'a generation bump elsewhere shows');

      // A provider deleted and another created in its place: the same count, and the sum of generations could match.
      const gone = await t.provider('shared-gone');
      await t.inventory(gone.uuid, { VCPU: { total: 1 } });
      assert.ok(offers(await candidates(t, 'resources=VCPU:1'), gone.uuid));
      await deleteProvider(elsewhere, gone.uuid);
      const fresh = await createProvider(elsewhere, { uuid: randomUUID(), name: 'shared-fresh', parentUuid: null });
      const answer = await candidates(t, `resources=VCPU:1&in_tree=${fresh.uuid}`);
      assert.ok(!offers(answer, gone.uuid) && !(gone.uuid in answer.provider_summaries), 'the deleted provider is gone');

      // Writes elsewhere that bump no generation are seen through updated_at, which must differ from the last one.
      const clockMoves = async () => {
        const since = Date.now();
        await until('the clock moves past the last write', () => Date.now() > since, { timeoutMs: 1000, everyMs: 1 });
      };
      const agg = randomUUID();
      assert.equal((await candidates(t, `resources=VCPU:1&member_of=${agg}`)).allocation_requests.length, 0);
      await clockMoves();
      await setProviderAggregates(elsewhere, cn.uuid, [agg]);
      assert.ok(offers(await candidates(t, `resources=VCPU:1&member_of=${agg}`), cn.uuid), 'a blind aggregate write elsewhere shows');

      const child = await t.provider('shared-child', { parent_provider_uuid: cn.uuid });
      const top = await t.provider('shared-top');
      assert.equal((await candidates(t, q)).provider_summaries[child.uuid].root_provider_uuid, cn.uuid);
      await clockMoves();
      await updateProvider(elsewhere, cn.uuid, { name: 'shared-cn', parentUuid: top.uuid }, true);
      assert.equal((await candidates(t, `resources=VCPU:1&in_tree=${top.uuid}`)).provider_summaries[child.uuid].root_provider_uuid, top.uuid,
        'a re-parent elsewhere moves the whole subtree');
    } finally {
      await otherDb.destroy();
    }
  });
});
