// A scheduler that never answers select_destinations: the conductor's RPC call over the bus times out and the build
// ends cleanly — the server in ERROR with a fault saying why, no host, the create action and its event finished with
// the error, any claim given back to Placement, and nothing cast to an agent.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { sharedMemoryBus } from '#lib/bus/index.ts';
import type { RpcClient } from '#lib/bus/index.ts';
import { openDatabase, runMigrations } from '#lib/db/index.ts';
import { silentLogger } from '#lib/log.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ComputeTables } from '../db/tables.ts';
import { computeMigrations } from '../db/migrations/index.ts';
import { getInstance, insertInstance } from '../db/instances-repo.ts';
import { listActions, listEvents, startAction } from '../db/actions-repo.ts';
import type { Instance } from '../domain/instance.ts';
import { schedulerRpc } from '../rpc/scheduler-rpc.ts';
import type { SchedulerMethods } from '../rpc/scheduler-rpc.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import { scheduleAndBuild } from './build-instances.ts';

const TIMEOUT_MS = 200;

function scheduling(uuid: string): Instance {
  const now = new Date().toISOString();
  return {
    uuid, name: uuid, description: null, projectId: 'p', userId: 'u', imageRef: 'img',
    flavor: { id: '1', name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, ephemeral: 0, swap: 0, rxtxFactor: 1, isPublic: true, disabled: false, description: null, extraSpecs: {} },
    keyName: null, keyData: null, userData: null, availabilityZone: null, hostname: uuid, host: null, node: null, vmState: 'building', taskState: 'scheduling',
    powerState: 0, configDrive: false, accessIpV4: null, accessIpV6: null, locked: false, lockedBy: null, reservationId: 'r', launchIndex: 0,
    requestedNetworks: 'none', securityGroups: [], networkInfo: [], requestSpec: { triedHosts: [], attempts: 0, hints: {} }, fault: null,
    metadata: {}, launchedAt: null, terminatedAt: null, createdAt: now, updatedAt: now, deletedAt: null, deleted: false,
  };
}

describe('a scheduler that never answers', () => {
  it('times the build out into ERROR with a fault, its claim released and nothing built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conductor-timeout-'));
    const database = await openDatabase<ComputeTables>({ url: `sqlite://${dir}/c.sqlite` });
    const bus = sharedMemoryBus(`schedule-timeout-${randomUUID()}`);
    let asked = 0;
    // The scheduler receives the call and never answers (hung on Placement, or stopped mid-request).
    const sub = await schedulerRpc.serve(bus, 'scheduler', { select_destinations: () => { asked += 1; return new Promise(() => {}); } });
    try {
      await runMigrations(database, computeMigrations);
      const uuid = randomUUID();
      await insertInstance(database.db, scheduling(uuid));
      const ctx = { requestId: `req-${randomUUID()}`, globalRequestId: `req-${randomUUID()}` };
      await startAction(database.db, { instanceUuid: uuid, action: 'create', requestId: ctx.requestId, globalRequestId: ctx.globalRequestId, userId: 'u', projectId: 'p' });
      const real = schedulerRpc.client(bus);
      // The conductor's own client over the real bus, only with a timeout short enough for a test (60 s by default).
      const scheduler = { ...real, call: (m, a, c, o) => real.call(m, a, c, { ...o, timeoutMs: TIMEOUT_MS }) } as RpcClient<SchedulerMethods>;
      const released: string[] = [];
      const casts: string[] = [];
      const deps = {
        db: database.db, dialect: 'sqlite' as const, maxAttempts: 3, log: silentLogger(), scheduler,
        agents: { cast: async (m: string) => { casts.push(m); } } as unknown as RpcClient<AgentMethods>,
        placement: { deleteAllocations: async (consumer: string) => { released.push(consumer); return true; } } as unknown as PlacementClient,
      };
      const started = Date.now();
      await scheduleAndBuild(deps, ctx, uuid);
      assert.ok(Date.now() - started >= TIMEOUT_MS, 'the conductor waited for the answer until the timeout');
      assert.equal(asked, 1);
      const server = (await getInstance(database.db, uuid))!;
      assert.equal(server.vmState, 'error');
      assert.equal(server.taskState, null);
      assert.equal(server.host, null);
      assert.match(server.fault!.message, new RegExp(`^Scheduling failed: Timed out after ${TIMEOUT_MS} ms waiting for select_destinations`));
      assert.deepEqual(released, [uuid], 'a claim the scheduler may have made is given back');
      assert.deepEqual(casts, [], 'nothing is built');
      const [action] = await listActions(database.db, uuid);
      assert.ok(action.finish_time, 'the create action is finished');
      const [event] = await listEvents(database.db, action.id);
      assert.equal(event.event, 'conductor_schedule_and_build_instances');
      assert.equal(event.result, 'Error');
    } finally {
      await sub.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
