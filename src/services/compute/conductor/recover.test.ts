// Work lost with a stopped process is picked up once: a server left scheduling is scheduled and built, a delete is
// finished, and two conductors starting together never both take the same server.
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
import type { Instance } from '../domain/instance.ts';
import type { SchedulerMethods } from '../rpc/scheduler-rpc.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import { recoverLostWork } from './recover.ts';

const old = new Date(Date.now() - 3_600_000).toISOString();

function stuck(uuid: string, taskState: string): Instance {
  return {
    uuid, name: uuid, description: null, projectId: 'p', userId: 'u', imageRef: 'img',
    flavor: { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, ephemeral: 0, swap: 0, rxtxFactor: 1, isPublic: true, disabled: false, description: null, extraSpecs: {} },
    keyName: null, keyData: null, userData: null, availabilityZone: null, hostname: uuid, host: null, node: null, vmState: 'building', taskState,
    powerState: 0, configDrive: false, accessIpV4: null, accessIpV6: null, locked: false, lockedBy: null, reservationId: 'r', launchIndex: 0,
    requestedNetworks: 'none', securityGroups: [], networkInfo: [], requestSpec: { triedHosts: [], attempts: 0, hints: {} }, fault: null,
    metadata: {}, launchedAt: null, terminatedAt: null, createdAt: old, updatedAt: old, deletedAt: null, deleted: false,
  };
}

describe('conductor recovery', () => {
  it('schedules lost builds and finishes lost deletes, each exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conductor-recover-'));
    const database = await openDatabase<ComputeTables>({ url: `sqlite://${dir}/c.sqlite` });
    try {
      await runMigrations(database, computeMigrations);
      await insertInstance(database.db, stuck('lost-build', 'scheduling'));
      await insertInstance(database.db, stuck('lost-delete', 'deleting'));
      await insertInstance(database.db, { ...stuck('fresh', 'scheduling'), updatedAt: new Date().toISOString() });
      let scheduled = 0;
      const casts: string[] = [];
      const deps = {
        db: database.db, dialect: 'sqlite' as const, maxAttempts: 3, log: silentLogger(),
        scheduler: { call: async () => { scheduled += 1; return { host: 'h1', node: 'h1', nodeUuid: 'n1' }; } } as unknown as RpcClient<SchedulerMethods>,
        agents: { cast: async (_m: string, a: { uuid: string }) => { casts.push(a.uuid); } } as unknown as RpcClient<AgentMethods>,
        placement: { deleteAllocations: async () => true } as unknown as PlacementClient,
      };
      const [a, b] = await Promise.all([recoverLostWork(deps, 60_000), recoverLostWork(deps, 60_000)]);
      assert.deepEqual([...a, ...b].sort(), ['lost-build', 'lost-delete']);
      assert.equal(scheduled, 1);
      assert.deepEqual(casts, ['lost-build']);
      assert.equal((await getInstance(database.db, 'lost-build'))?.host, 'h1');
      assert.equal(await getInstance(database.db, 'lost-delete'), undefined);
      assert.equal((await getInstance(database.db, 'fresh'))?.taskState, 'scheduling');
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
