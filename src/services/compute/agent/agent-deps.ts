// What a compute agent works with, passed in once by createComputeAgent.
import type { BusContext, RpcClient } from '#lib/bus/index.ts';
import type { Logger } from '#lib/log.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ImageClient } from '#services/image/contract/client.ts';
import type { NetworkClient } from '#services/network/contract/client.ts';
import type { BlockStorageClient } from '#services/block-storage/contract/client.ts';
import type { ConductorMethods } from '../rpc/conductor-rpc.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import type { HypervisorDriver } from './drivers/hypervisor-driver.ts';
import type { ComputeNotifier } from '../rpc/compute-notifier.ts';
import { withActionNotifications } from './action-notifications.ts';
import type { HeldInstance } from './action-notifications.ts';

export interface AgentDeps {
  host: string;
  driver: HypervisorDriver;
  conductor: RpcClient<ConductorMethods>;
  /** The other hosts' agents: a resize's source hands over to its destination and back. */
  agents: RpcClient<AgentMethods>;
  placement: PlacementClient;
  /** The Image service's client; undefined when the catalog has no image service. */
  image(): Promise<ImageClient | undefined>;
  /** The Networking service's client; undefined when the catalog has no network service. */
  network(): Promise<NetworkClient | undefined>;
  /** Block Storage's client; undefined when the catalog has no volume service. */
  volumes(): Promise<BlockStorageClient | undefined>;
  /** Config drives: whether every server gets one, and the domain its hostname carries (dhcp_domain). */
  configDrive: { force: boolean; dhcpDomain: string };
  /** The agent's own token (the nova service user), sent beside the user's token. */
  serviceToken(): Promise<string>;
  /** Nova's instance.* notifications; absent in tests that do not listen. */
  notifier?: ComputeNotifier;
  log: Logger;
}

/**
 * Records one instance action event around `work`, as Nova's wrap_instance_event does. `held`: the instance as the
 * flow holds it, which the start/end notifications use instead of reading it again; `finishAction`: a successful event
 * also finishes the action (one call instead of event_finish then action_finish).
 */
export async function withEvent<T>(deps: AgentDeps, ctx: BusContext, uuid: string, event: string, work: () => Promise<T>,
  opts: { held?: HeldInstance; finishAction?: boolean } = {}): Promise<T> {
  await deps.conductor.call('event_start', { uuid, requestId: ctx.requestId, event, host: deps.host }, ctx);
  try {
    const result = await withActionNotifications(deps, ctx, { uuid, event, held: opts.held }, work);
    await deps.conductor.call('event_finish', { uuid, requestId: ctx.requestId, event, ...(opts.finishAction ? { finishAction: true } : {}) }, ctx);
    return result;
  } catch (err) {
    await deps.conductor.call('event_finish', { uuid, requestId: ctx.requestId, event, error: (err as Error).message }, ctx)
      .catch((e: unknown) => deps.log.warn({ err: (e as Error).message, uuid }, 'cannot record the failed event'));
    throw err;
  }
}
