// The server's side of port filtering: what an agent needs to filter its ports (the groups' rules and the member
// addresses of the remote groups they name), and the casts that tell agents when either changed.
import type { RequestContext } from '#lib/context.ts';
import { existingGroupIds, memberPortsOf, rulesOf, statelessGroupIds } from '../db/security-groups-repo.ts';
import { fixedIpsOf } from '../db/ports-repo.ts';
import type { RuleInput } from '../domain/security-group-rules.ts';
import type { SecurityGroupInfo } from '../domain/security-group-info.ts';
import type { NetworkApiDeps } from './deps.ts';

/** The groups' rules and every remote group's member addresses (fixed IPs and allowed address pairs of its ports). */
export async function securityGroupInfo(deps: NetworkApiDeps, groupIds: string[]): Promise<SecurityGroupInfo> {
  const ids = [...new Set(groupIds)];
  const byGroup = await rulesOf(deps.db, ids);
  const rules: Record<string, RuleInput[]> = {};
  for (const id of await existingGroupIds(deps.db, ids)) {
    rules[id] = (byGroup.get(id) ?? []).map((r) => ({
      direction: r.direction as RuleInput['direction'], ethertype: r.ethertype as RuleInput['ethertype'], protocol: r.protocol,
      portRangeMin: r.port_range_min, portRangeMax: r.port_range_max, remoteIpPrefix: r.remote_ip_prefix, remoteGroupId: r.remote_group_id,
    }));
  }
  const remote = [...new Set(Object.values(rules).flat().flatMap((r) => r.remoteGroupId ?? []))];
  const ports = await memberPortsOf(deps.db, remote);
  const ips = await fixedIpsOf(deps.db, [...new Set(ports.map((p) => p.portId))]);
  const members: Record<string, string[]> = Object.fromEntries(remote.map((g) => [g, []]));
  for (const p of ports) {
    const pairs = JSON.parse(p.allowedAddressPairs) as { ip_address: string }[];
    members[p.groupId].push(...(ips.get(p.portId) ?? []).map((f) => f.ip_address), ...pairs.map((pair) => pair.ip_address));
  }
  for (const g of remote) members[g] = [...new Set(members[g])];
  return { rules, members, stateless: await statelessGroupIds(deps.db, ids) };
}

/** Tells agents that ports joined or left these groups or changed addresses (nothing to say for no groups). */
export function notifyMembersChanged(deps: NetworkApiDeps, ctx: RequestContext, groupIds: Iterable<string>): void {
  const ids = [...new Set(groupIds)];
  if (ids.length) deps.events.agents(ctx, 'security_groups_member_updated', { securityGroupIds: ids });
}
