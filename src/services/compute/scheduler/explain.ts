// When no host fits, say why for each host: which filter rejected it and with what numbers ("host-3: RAM: 512 MB
// free < 2048 MB requested"), so an operator reads the answer in the server's fault instead of in the logs.
import type { Logger } from '#lib/log.ts';
import type { PlacementClient } from '#services/placement/contract/client.ts';
import type { ComputeNodeRow, ComputeServiceRow } from '../db/tables.ts';
import { heartbeatFresh } from '../domain/service-status.ts';

const SHOWN_HOSTS = 20;

const RESOURCE_NAMES: Record<string, [string, string]> = { VCPU: ['CPU', 'vCPUs'], MEMORY_MB: ['RAM', 'MB'], DISK_GB: ['disk', 'GB'] };

export interface ExplainInput {
  nodes: ComputeNodeRow[];
  services: Map<string, ComputeServiceRow>;
  resources: Record<string, number>;
  requiredTraits: string[];
  ignoreHosts: string[];
  group?: { policy: string; memberHosts: string[]; maxServerPerHost?: number };
  /** The zone asked for (null: any) and each host's zone. */
  availabilityZone: string | null;
  zoneOf(host: string): string;
  now: number;
  serviceDownTimeMs: number;
}

async function resourceReasons(placement: PlacementClient, node: ComputeNodeRow, input: ExplainInput, globalRequestId: string): Promise<string[]> {
  const ctx = { globalRequestId };
  const [inv, usages] = await Promise.all([placement.getInventories(node.uuid, ctx), placement.getProviderUsages(node.uuid, ctx)]);
  const out: string[] = [];
  for (const [rc, amount] of Object.entries(input.resources)) {
    const [label, unit] = RESOURCE_NAMES[rc] ?? [rc, ''];
    const i = inv.inventories[rc];
    if (!i) { out.push(`${label}: the host has no ${rc} inventory`); continue; }
    const free = Math.floor((i.total - i.reserved) * i.allocation_ratio) - (usages[rc] ?? 0);
    if (free < amount) out.push(`${label}: ${free} ${unit} free < ${amount} ${unit} requested`.replace(/ {2}/g, ' '));
    else if (amount > i.max_unit) out.push(`${label}: ${amount} ${unit} requested > ${i.max_unit} ${unit} allowed per server`.replace(/ {2}/g, ' '));
  }
  const required = input.requiredTraits.filter((t) => !t.startsWith('!'));
  const forbidden = input.requiredTraits.filter((t) => t.startsWith('!')).map((t) => t.slice(1));
  if (required.length || forbidden.length) {
    const traits = new Set(await placement.getTraits(node.uuid, ctx));
    for (const t of required) if (!traits.has(t)) out.push(`traits: lacks required ${t}`);
    for (const t of forbidden) if (traits.has(t)) out.push(`traits: has forbidden ${t}`);
  }
  return out;
}

/** One line per host (the first SHOWN_HOSTS), each naming why it was rejected. */
export async function explainNoHost(placement: PlacementClient, input: ExplainInput, globalRequestId: string, log: Logger): Promise<string> {
  if (input.nodes.length === 0) return 'No compute host has reported to this cloud.';
  const lines: string[] = [];
  for (const node of input.nodes.slice(0, SHOWN_HOSTS)) {
    const service = input.services.get(node.host);
    const reasons: string[] = [];
    if (!service) reasons.push('ComputeFilter: no compute service on this host');
    else if (service.disabled) reasons.push(`ComputeFilter: the compute service is disabled${service.disabled_reason ? ` (${service.disabled_reason})` : ''}`);
    else if (service.forced_down) reasons.push('ComputeFilter: the compute service is forced down');
    else if (!heartbeatFresh(service.last_seen_up, input.now, input.serviceDownTimeMs)) {
      reasons.push(`ComputeFilter: the compute service is down (last heartbeat ${service.last_seen_up ?? 'never'})`);
    }
    const zone = input.zoneOf(node.host);
    if (input.availabilityZone !== null && zone !== input.availabilityZone) {
      reasons.push(`AvailabilityZoneFilter: the host is in zone ${zone}, not ${input.availabilityZone}`);
    }
    if (input.ignoreHosts.includes(node.host)) reasons.push('RetryFilter: a build of this server already failed here');
    const g = input.group;
    if (g?.policy === 'anti-affinity' && g.memberHosts.filter((h) => h === node.host).length >= (g.maxServerPerHost ?? 1)) reasons.push(`ServerGroupAntiAffinityFilter: ${g.maxServerPerHost ?? 1} member(s) of the server group already run here`);
    if (g?.policy === 'affinity' && g.memberHosts.length && !g.memberHosts.includes(node.host)) reasons.push('ServerGroupAffinityFilter: the server group\'s members run elsewhere');
    try {
      reasons.push(...await resourceReasons(placement, node, input, globalRequestId));
    } catch (err) {
      log.warn({ host: node.host, err: (err as Error).message }, 'cannot read the host\'s resources to explain the rejection');
      reasons.push('resources: unknown (Placement did not answer)');
    }
    lines.push(`${node.host}: ${reasons.length ? reasons.join('; ') : 'lost a race for its last resources to another claim'}`);
  }
  if (input.nodes.length > SHOWN_HOSTS) lines.push(`… and ${input.nodes.length - SHOWN_HOSTS} more hosts`);
  return lines.join('\n');
}
