// What the compute API handlers need, passed in once by createComputeApi, and who the caller is.
import type { FastifyRequest } from 'fastify';
import type { Credentials } from '#lib/context.ts';
import { Unauthorized } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { PolicyEnforcer } from '#lib/policy/index.ts';
import type { RpcClient } from '#lib/bus/index.ts';
import type { ImageClient } from '#services/image/contract/client.ts';
import type { NetworkClient } from '#services/network/contract/client.ts';
import type { BlockStorageClient } from '#services/block-storage/contract/client.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ComputeDb } from '../db/tables.ts';
import type { ConductorMethods } from '../rpc/conductor-rpc.ts';
import type { AgentMethods } from '../rpc/agent-rpc.ts';
import type { ComputeNotifier } from '../rpc/compute-notifier.ts';

export interface ComputeApiDeps {
  db: ComputeDb;
  policy: PolicyEnforcer;
  /** Most items a list returns. */
  maxLimit: number;
  /** A service silent for longer is shown down (Nova's service_down_time). */
  serviceDownTimeMs: number;
  log: Logger;
  /** The conductor, which schedules and builds what the API records. */
  conductor: RpcClient<ConductorMethods>;
  /** Compute agents, for actions on a server already on a host. */
  agents: RpcClient<AgentMethods>;
  /** The Image service's client (from the catalog); undefined when the cloud has none. */
  image(): Promise<ImageClient | undefined>;
  /** The Networking service's client (from the catalog); undefined when the cloud has none. */
  network(): Promise<NetworkClient | undefined>;
  /** Block Storage's client (from the catalog); undefined when the cloud has none. */
  volumes(): Promise<BlockStorageClient | undefined>;
  /** Compute's own token, sent beside the user's to other services. */
  serviceToken(): Promise<string>;
  /** Placement, with compute's service token: host aggregates are mirrored there. */
  placement: PlacementClient;
  /** Whether a resize may pick the server's own host (Nova's allow_resize_to_same_host). */
  allowResizeToSameHost: boolean;
  /** Remote consoles: the proxies' URLs as users reach them, and how long a console URL waits for its one use. */
  consoles: { novncBaseUrl: string; serialBaseUrl: string; tokenTtlMs: number };
  /** The notifications Nova's API sends itself (instance.evacuate), published as nova-api; absent in tests that do not listen. */
  notifier?: ComputeNotifier;
}

export interface Caller {
  credentials: Credentials;
  projectId?: string;
  isAdmin: boolean;
}

export function callerOf(deps: ComputeApiDeps, req: FastifyRequest): Caller {
  const credentials = req.ctx.credentials;
  if (!credentials) throw new Unauthorized();
  const projectId = credentials.scope.kind === 'project' ? credentials.scope.projectId : undefined;
  return { credentials, projectId, isAdmin: deps.policy.allowed('context_is_admin', credentials, {}) };
}

/** Enforces a rule with the caller's project as the target, as Nova does for project-less resources. */
export function authorize(deps: ComputeApiDeps, caller: Caller, rule: string): void {
  deps.policy.enforce(rule, caller.credentials, { project_id: caller.projectId });
}
