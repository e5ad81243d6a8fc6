// What the conductor works with, passed in once by createConductor.
import type { RpcClient } from '#lib/bus/index.ts';
import type { Dialect } from '#lib/db/index.ts';
import type { Logger } from '#lib/log.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ComputeDb } from '../db/tables.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import type { SchedulerMethods } from '../rpc/scheduler-rpc.ts';
import type { ComputeNotifier } from '../rpc/compute-notifier.ts';

export interface ConductorDeps {
  db: ComputeDb;
  dialect: Dialect;
  scheduler: RpcClient<SchedulerMethods>;
  agents: RpcClient<AgentMethods>;
  placement: PlacementClient;
  /** Builds tried per server before it goes to ERROR (Nova's scheduler.max_attempts). */
  maxAttempts: number;
  /** Nova's instance.update notifications for the state changes agents save; absent when nobody listens. */
  notifier?: ComputeNotifier;
  log: Logger;
}
