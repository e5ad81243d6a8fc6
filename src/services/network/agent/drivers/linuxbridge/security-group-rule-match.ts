// One security group rule as an nftables match, without I/O: ethertype, protocol (by number), destination port range
// or ICMP type/code, and the remote side as a prefix or the remote group's address set. Everything is re-checked
// here, because it is written into a ruleset.
import type { RuleInput } from '../../../domain/security-group-rules.ts';
import { PORTED_PROTOCOL_NUMBERS, ipProtocolNumber } from '../../../domain/security-group-rules.ts';
import { formatCidr, parseCidr } from '../../../domain/ip-address.ts';

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** An id safe to put in an nftables name (ports' and groups' UUIDs). */
export function nftId(id: string): string {
  if (!ID.test(id)) throw new Error(`'${id}' cannot name an nftables object`);
  return id;
}

/** The set holding a remote group's member addresses of one IP version. */
export const remoteGroupSet = (groupId: string, version: 4 | 6): string => `rg${version}-${nftId(groupId)}`;

function portNumber(n: number | null, what: string, max: number): number | null {
  if (n === null) return null;
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`${what} ${n} is out of range`);
  return n;
}

/** The match selecting the traffic the rule allows (the verdict is the caller's: ingress accepts, egress returns). */
export function ruleMatch(rule: RuleInput): string {
  const v6 = rule.ethertype === 'IPv6';
  if (!v6 && rule.ethertype !== 'IPv4') throw new Error(`'${String(rule.ethertype)}' is not an ethertype`);
  const ip = v6 ? 'ip6' : 'ip';
  const parts = [`meta nfproto ${v6 ? 'ipv6' : 'ipv4'}`];
  if (rule.protocol !== null) {
    const proto = ipProtocolNumber(rule.protocol, rule.ethertype);
    parts.push(`meta l4proto ${proto}`);
    if (PORTED_PROTOCOL_NUMBERS.has(proto)) {
      const min = portNumber(rule.portRangeMin, 'port_range_min', 65535);
      const max = portNumber(rule.portRangeMax, 'port_range_max', 65535) ?? min;
      if (min !== null && max !== null) parts.push(`th dport ${min === max ? min : `${min}-${max}`}`);
    } else if (proto === (v6 ? 58 : 1)) {
      // ICMP: port_range_min is the type, port_range_max the code.
      const type = portNumber(rule.portRangeMin, 'ICMP type', 255);
      const code = portNumber(rule.portRangeMax, 'ICMP code', 255);
      const icmp = v6 ? 'icmpv6' : 'icmp';
      if (type !== null) parts.push(`${icmp} type ${type}`);
      if (type !== null && code !== null) parts.push(`${icmp} code ${code}`);
    }
  }
  const side = rule.direction === 'ingress' ? 'saddr' : 'daddr';
  if (rule.direction !== 'ingress' && rule.direction !== 'egress') throw new Error(`'${String(rule.direction)}' is not a direction`);
  if (rule.remoteIpPrefix !== null) {
    const text = rule.remoteIpPrefix.includes('/') ? rule.remoteIpPrefix : `${rule.remoteIpPrefix}/${v6 ? 128 : 32}`;
    const cidr = parseCidr(text, false);
    if (!cidr || cidr.version !== (v6 ? 6 : 4)) throw new Error(`'${rule.remoteIpPrefix}' is not an ${rule.ethertype} prefix`);
    // Everything (0.0.0.0/0, ::/0) needs no match.
    if (cidr.prefixLength > 0) parts.push(`${ip} ${side} ${formatCidr(cidr)}`);
  } else if (rule.remoteGroupId !== null) {
    parts.push(`${ip} ${side} @${remoteGroupSet(rule.remoteGroupId, v6 ? 6 : 4)}`);
  }
  return parts.join(' ');
}
