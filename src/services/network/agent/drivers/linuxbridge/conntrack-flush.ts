// Which conntrack entries to delete when port filters shrink, without I/O: an established flow is allowed by its
// conntrack entry, not by the rule that let its first packet through, so when a rule or a remote group member goes
// the flows it admitted would live on. For every port filtered before and after a change, each rule it lost (and,
// narrowed by the port's address, the rule's protocol and single destination port, and the remote side; an address
// a kept remote group lost becomes one deletion of its flows in the zone, shared by every port that trusted it. Deleting an
// entry some other rule still allows is harmless: the next packet is checked against the rules again.
import type { PortDetails } from '../../../domain/port-details.ts';
import type { RuleInput } from '../../../domain/security-group-rules.ts';
import { PORTED_PROTOCOL_NUMBERS, ipProtocolNumber } from '../../../domain/security-group-rules.ts';
import { formatCidr, parseCidr } from '../../../domain/ip-address.ts';
import type { PortFilterState } from '../data-plane-driver.ts';
import { conntrackZones } from './port-filter-ruleset.ts';
import { ruleMatch } from './security-group-rule-match.ts';

/** An address or prefix as conntrack takes it, with its version; undefined for anything else. */
function peerOf(text: string): { version: 4 | 6; text: string } | undefined {
  const cidr = parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`, false);
  if (!cidr) return undefined;
  const full = cidr.prefixLength === (cidr.version === 4 ? 32 : 128);
  return { version: cidr.version, text: full ? formatCidr(cidr).split('/')[0] : formatCidr(cidr) };
}

const rulesOf = (port: PortDetails, state: PortFilterState, direction: RuleInput['direction']): RuleInput[] =>
  port.securityGroupIds.flatMap((g) => state.groups.rules[g] ?? []).filter((r) => r.direction === direction);

/** One deletion per address of the port: flows the rule admitted, towards the port (ingress) or from it (egress). */
function deletions(port: PortDetails, zone: number, rule: RuleInput, peer: string | null): string[][] {
  const version = rule.ethertype === 'IPv6' ? 6 : 4;
  const match: string[] = ['-f', version === 6 ? 'ipv6' : 'ipv4'];
  if (rule.protocol !== null) {
    const proto = ipProtocolNumber(rule.protocol, rule.ethertype);
    match.push('-p', String(proto));
    if (PORTED_PROTOCOL_NUMBERS.has(proto) && rule.portRangeMin !== null && (rule.portRangeMax ?? rule.portRangeMin) === rule.portRangeMin) {
      match.push('--dport', String(rule.portRangeMin));
    }
  }
  const remote = peer === null ? undefined : peerOf(peer);
  if (peer !== null && remote?.version !== version) return [];
  const [own, other] = rule.direction === 'ingress' ? ['-d', '-s'] : ['-s', '-d'];
  return port.fixedIps.map((f) => peerOf(f.ipAddress)).filter((ip) => ip?.version === version).map((ip) => [
    'conntrack', '-D', '-w', String(zone), ...match, own, ip!.text, ...(remote && remote.text !== '0.0.0.0/0' && remote.text !== '::/0' ? [other, remote.text] : []),
  ]);
}

/**
 * The flows of an address that left a remote group, in one network's zone: from it (ingress rules admitted them) or to
 * it (egress). Not narrowed by the filtered port or the rule, so every port that trusted the member shares one
 * deletion: tearing down N ports of one group costs O(N) deletions, not one per remaining port each time (O(N²)).
 */
function memberDeletion(zone: number, rule: RuleInput, member: string): string[][] {
  const peer = peerOf(member);
  if (!peer || peer.version !== (rule.ethertype === 'IPv6' ? 6 : 4)) return [];
  return [['conntrack', '-D', '-w', String(zone), '-f', peer.version === 6 ? 'ipv6' : 'ipv4', rule.direction === 'ingress' ? '-s' : '-d', peer.text]];
}

/** The `conntrack -D` argv lists that end the flows `before` allowed and `after` no longer does (deduplicated). */
export function conntrackDeletions(before: PortFilterState, after: PortFilterState): string[][] {
  const zones = conntrackZones(before.ports.map((p) => p.networkId));
  const now = new Map(after.ports.map((p) => [p.portId, p]));
  const out = new Map<string, string[]>();
  for (const old of before.ports) {
    const current = now.get(old.portId);
    if (!current) continue;
    const zone = zones.get(old.networkId)!;
    for (const direction of ['ingress', 'egress'] as const) {
      const kept = new Set(rulesOf(current, after, direction).map(ruleMatch));
      for (const rule of rulesOf(old, before, direction)) {
        let found: string[][];
        if (!kept.has(ruleMatch(rule))) {
          found = deletions(old, zone, rule, rule.remoteIpPrefix);
        } else if (rule.remoteGroupId !== null) {
          const stays = new Set(after.groups.members[rule.remoteGroupId] ?? []);
          const gone = (before.groups.members[rule.remoteGroupId] ?? []).filter((m) => !stays.has(m));
          found = gone.flatMap((member) => memberDeletion(zone, rule, member));
        } else {
          found = [];
        }
        for (const argv of found) out.set(argv.join(' '), argv);
      }
    }
  }
  return [...out.values()];
}
