// select_destinations: ask Placement which nodes can hold the server's resources, keep those the filters pass, try
// them best-weighed first, and claim in Placement; a claim lost to a concurrent one moves on to the next host.
import { RemoteError } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import { isConcurrentUpdate } from '#services/placement/contract/client.ts';
import type { ComputeDb } from '../db/tables.ts';
import { listNodes, listServices, schedulingView } from '../db/hosts-repo.ts';
import { hostZones } from '../db/aggregates-repo.ts';
import { AGENT_BINARY, zoneOf } from '../domain/zones.ts';
import { noValidHostMessage } from '../domain/errors.ts';
import type { Destination, SelectDestinationsArgs } from '../rpc/scheduler-rpc.ts';
import { NO_VALID_HOST } from '../rpc/scheduler-rpc.ts';
import type { HostFilter, HostState, HostWeigher } from './host-state.ts';
import { orderByWeight } from './weigh.ts';
import { explainNoHost } from './explain.ts';

export interface SchedulerDeps {
  db: ComputeDb;
  placement: PlacementClient;
  filters: HostFilter[];
  weighers: HostWeigher[];
  serviceDownTimeMs: number;
  /** How many allocation candidates to ask Placement for (Nova's max_placement_results). */
  maxCandidates: number;
  log: Logger;
}

export class NoValidHost extends RemoteError {
  constructor(reason: string) {
    super(400, NO_VALID_HOST, noValidHostMessage(reason));
  }
}

/** trait:<NAME>=required|forbidden extra specs, as Placement's required parameter. */
function traitsOf(extraSpecs: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(extraSpecs)) {
    if (!k.startsWith('trait:')) continue;
    if (v === 'required') out.push(k.slice(6));
    else if (v === 'forbidden') out.push(`!${k.slice(6)}`);
  }
  return out;
}

export async function selectDestinations(deps: SchedulerDeps, args: SelectDestinationsArgs, globalRequestId: string): Promise<Destination> {
  const ctx = { globalRequestId };
  const required = traitsOf(args.extraSpecs);
  const candidates = await deps.placement.getAllocationCandidates({ resources: args.resources, required, limit: deps.maxCandidates }, ctx);
  // Only the columns the filters use; the full rows are read when there is a refusal to explain.
  const view = await schedulingView(deps.db, AGENT_BINARY);
  const nodes = new Map(view.nodes.map((n) => [n.uuid, n]));
  const services = new Map(view.services.map((s) => [s.host, s]));
  const zones = await hostZones(deps.db);
  const noHost = async (summary: string): Promise<never> => {
    const serviceRows = new Map((await listServices(deps.db, { binary: AGENT_BINARY })).map((s) => [s.host, s]));
    const why = await explainNoHost(deps.placement, {
      nodes: await listNodes(deps.db), services: serviceRows, resources: args.resources, requiredTraits: required, ignoreHosts: args.ignoreHosts, group: args.group, now: Date.now(),
      availabilityZone: args.availabilityZone, zoneOf: (host) => zoneOf(host, zones),
      serviceDownTimeMs: deps.serviceDownTimeMs,
    }, globalRequestId, deps.log);
    throw new NoValidHost(`${summary}\n${why}`);
  };
  if (candidates.allocation_requests.length === 0) return noHost('There are not enough hosts available.');

  const byHost = new Map<HostState, (typeof candidates.allocation_requests)[number]>();
  for (const request of candidates.allocation_requests) {
    // The node is the root provider every allocation of the request lives in.
    const rp = Object.keys(request.allocations)[0];
    const root = candidates.provider_summaries[rp]?.root_provider_uuid ?? rp;
    const node = nodes.get(root);
    if (!node) continue;
    const service = services.get(node.host);
    byHost.set({
      host: node.host, node: node.hypervisor_hostname, nodeUuid: node.uuid, serviceDisabled: Boolean(service?.disabled) || Boolean(service?.forced_down),
      lastSeenUp: service?.last_seen_up ?? null, summary: candidates.provider_summaries[root], zone: zoneOf(node.host, zones),
    }, request);
  }
  const filterReq = {
    ignoreHosts: args.ignoreHosts, group: args.group, availabilityZone: args.availabilityZone, now: Date.now(), serviceDownTimeMs: deps.serviceDownTimeMs,
  };
  let hosts = [...byHost.keys()];
  const forced = Boolean(args.forcedHost || args.forcedNode);
  if (forced) {
    // Nova's forced host: the filters do not run, but the host must still have room (Placement's candidates).
    hosts = hosts.filter((h) => (!args.forcedHost || h.host === args.forcedHost) && (!args.forcedNode || h.node === args.forcedNode));
    if (hosts.length === 0) return noHost(`The forced host ${[args.forcedHost, args.forcedNode].filter(Boolean).join(' / node ')} cannot hold the server.`);
  }
  if (args.requestedHost || args.requestedNode) {
    hosts = hosts.filter((h) => (!args.requestedHost || h.host === args.requestedHost) && (!args.requestedNode || h.node === args.requestedNode));
    if (hosts.length === 0) return noHost(`The requested host ${[args.requestedHost, args.requestedNode].filter(Boolean).join(' / node ')} cannot hold the server.`);
  }
  for (const f of forced ? [] : deps.filters) {
    const before = hosts.length;
    hosts = hosts.filter((h) => f.passes(h, filterReq));
    deps.log.debug({ filter: f.name, before, after: hosts.length, instance: args.instanceUuid }, 'scheduler filter');
    if (hosts.length === 0) return noHost(`There are not enough hosts available (filter ${f.name} returned 0 hosts).`);
  }

  for (const host of orderByWeight(hosts, deps.weighers, filterReq)) {
    const request = byHost.get(host)!;
    try {
      const claim = { allocations: request.allocations, project_id: args.projectId, user_id: args.userId, consumer_type: 'INSTANCE' };
      if (args.move) {
        await deps.placement.postAllocations({
          [args.move.migrationUuid]: {
            allocations: args.move.sourceAllocations, project_id: args.projectId, user_id: args.userId, consumer_generation: null, consumer_type: 'MIGRATION',
          },
          [args.instanceUuid]: { ...claim, consumer_generation: args.move.consumerGeneration },
        }, ctx);
      } else {
        await deps.placement.putAllocations(args.instanceUuid, { ...claim, consumer_generation: null }, ctx);
      }
      return { host: host.host, node: host.node, nodeUuid: host.nodeUuid };
    } catch (err) {
      // Another claim took the room (or this consumer already claimed): try the next host.
      if (!isConcurrentUpdate(err) && !(err instanceof RemoteError && err.status === 409)) throw err;
      deps.log.info({ host: host.host, instance: args.instanceUuid }, 'claim lost to a concurrent one; trying the next host');
    }
  }
  return noHost('There are not enough hosts available (every claim was lost to concurrent ones).');
}
