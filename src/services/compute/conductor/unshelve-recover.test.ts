// An unshelve lost with a stopped process never leaves a server stuck in `unshelving`: an offloaded server goes back to
// SHELVED_OFFLOADED on no host with any claim released, a shelved one back to SHELVED; fresh work is left alone, and
// two conductors recovering at once take each server once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import { silentLogger } from '#lib/log.ts';
import type { RpcClient } from '#lib/bus/index.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ComputeTables } from '../db/tables.ts';
import { computeMigrations } from '../db/migrations/index.ts';
import { getInstance, insertInstance } from '../db/instances-repo.ts';
import { listActions, listEvents, startAction } from '../db/actions-repo.ts';
import type { Instance } from '../domain/instance.ts';
import type { SchedulerMethods } from '../rpc/scheduler-rpc.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import { recoverLostUnshelves } from './unshelve-recover.ts';

const old = new Date(Date.now() - 3_600_000).toISOString();

function server(uuid: string, vmState: string, host: string | null, updatedAt = old): Instance {
  return {
    uuid, name: uuid, description: null, projectId: 'p', userId: 'u', imageRef: 'img',
    flavor: { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, ephemeral: 0, swap: 0, rxtxFactor: 1, isPublic: true, disabled: false, description: null, extraSpecs: {} },
    keyName: null, keyData: null, userData: null, availabilityZone: 'nova', hostname: uuid, host, node: host, vmState, taskState: 'unshelving',
    powerState: 4, configDrive: false, accessIpV4: null, accessIpV6: null, locked: false, lockedBy: null, reservationId: 'r', launchIndex: 0,
    requestedNetworks: 'none', securityGroups: [], networkInfo: [], requestSpec: { triedHosts: [], attempts: 0, hints: {} }, fault: null,
    metadata: {}, launchedAt: null, terminatedAt: null, createdAt: old, updatedAt, deletedAt: null, deleted: false,
  };
}

describe('conductor recovery of unshelves', () => {
  it('puts lost unshelves back where they were, each exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unshelve-recover-'));
    const database = await openDatabase<ComputeTables>({ url: `sqlite://${dir}/c.sqlite` });
    try {
      await runMigrations(database, computeMigrations);
      const db = database.db;
      await insertInstance(db, server('placed-then-lost', 'shelved_offloaded', 'h1'));
      await insertInstance(db, server('lost-while-scheduling', 'shelved_offloaded', null));
      await insertInstance(db, server('shelved-on-h1', 'shelved', 'h1'));
      await insertInstance(db, server('fresh', 'shelved_offloaded', null, new Date().toISOString()));
      await startAction(db, { instanceUuid: 'placed-then-lost', action: 'unshelve', requestId: 'req-1', globalRequestId: 'g-1', userId: 'u', projectId: 'p' });
      const released: string[] = [];
      const deps = {
        db, dialect: 'sqlite' as const, maxAttempts: 3, log: silentLogger(),
        scheduler: {} as RpcClient<SchedulerMethods>, agents: {} as RpcClient<AgentMethods>,
        placement: { deleteAllocations: async (uuid: string) => { released.push(uuid); return true; } } as unknown as PlacementClient,
      };
      const [a, b] = await Promise.all([recoverLostUnshelves(deps, 60_000), recoverLostUnshelves(deps, 60_000)]);
      assert.deepEqual([...a, ...b].sort(), ['lost-while-scheduling', 'placed-then-lost', 'shelved-on-h1']);
      assert.deepEqual(released.sort(), ['lost-while-scheduling', 'placed-then-lost']);
      const placed = (await getInstance(db, 'placed-then-lost'))!;
      assert.deepEqual([placed.vmState, placed.taskState, placed.host, placed.node], ['shelved_offloaded', null, null, null]);
      const shelved = (await getInstance(db, 'shelved-on-h1'))!;
      assert.deepEqual([shelved.vmState, shelved.taskState, shelved.host], ['shelved', null, 'h1']);
      assert.equal((await getInstance(db, 'fresh'))!.taskState, 'unshelving');
      // The unshelve's action says what happened, and is finished.
      const [action] = await listActions(db, 'placed-then-lost');
      assert.ok(action.finish_time);
      const [event] = await listEvents(db, action.id);
      assert.equal(event.result, 'Error');
      assert.match(String(event.details), /lost with a stopped compute process/);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
