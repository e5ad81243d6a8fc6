// Security group rule rules: protocol names and numbers, port ranges, ethertype against the remote prefix, the
// canonical fingerprint that makes a duplicate rule a unique-key violation, and the rules new groups start with.
import { formatCidr, parseCidr } from './ip-address.ts';
import { NeutronError, invalidInput } from './errors.ts';

export interface RuleInput {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
}

const PROTOCOL_NUMBERS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, icmp: 1, icmpv6: 58, igmp: 2, ipip: 4, ipv6_encap: 41, ipv6_frag: 44,
  ipv6_icmp: 58, ipv6_nonxt: 59, ipv6_opts: 60, ipv6_route: 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6,
  udp: 17, udplite: 136, vrrp: 112,
};
const PORTED = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17', '132', '33', '136']);
const ICMP = new Set(['icmp', 'icmpv6', 'ipv6-icmp', '1', '58']);

/** Lower-cases names and accepts 0-255 as numbers; `any` or empty means every protocol. */
export function normalizeProtocol(protocol: string | number | null | undefined): string | null {
  if (protocol === null || protocol === undefined || protocol === '' || protocol === 'any') return null;
  const text = String(protocol).toLowerCase();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 255) throw new NeutronError(400, 'SecurityGroupRuleInvalidProtocol', `Security group rule protocol ${text} not supported. Only protocol values [${Object.keys(PROTOCOL_NUMBERS).join(', ')}] and integer representations [0 to 255] are supported.`);
    return text;
  }
  if (text === 'ipv6-icmp') return 'ipv6-icmp';
  if (!Object.hasOwn(PROTOCOL_NUMBERS, text)) {
    throw new NeutronError(400, 'SecurityGroupRuleInvalidProtocol', `Security group rule protocol ${text} not supported. Only protocol values [${Object.keys(PROTOCOL_NUMBERS).join(', ')}] and integer representations [0 to 255] are supported.`);
  }
  return text;
}

/** Protocols whose rules may carry a destination port range (TCP, UDP, SCTP, DCCP, UDP-Lite). */
export const PORTED_PROTOCOL_NUMBERS: ReadonlySet<number> = new Set([6, 17, 33, 132, 136]);

/**
 * The IP protocol number a rule's (normalized) protocol means for its ethertype: Neutron reads `icmp` in an IPv6
 * rule as ICMPv6. Throws on a protocol normalizeProtocol would have refused.
 */
export function ipProtocolNumber(protocol: string, ethertype: 'IPv4' | 'IPv6'): number {
  const n = /^\d{1,3}$/.test(protocol) ? Number(protocol) : protocol === 'ipv6-icmp' ? 58 : Object.hasOwn(PROTOCOL_NUMBERS, protocol) ? PROTOCOL_NUMBERS[protocol] : undefined;
  if (n === undefined || n > 255) throw new Error(`'${protocol}' is not an IP protocol`);
  return ethertype === 'IPv6' && n === 1 ? 58 : n;
}

/** Checks a rule as Neutron does and returns it with the prefix in canonical form. */
export function validateRule(rule: RuleInput): RuleInput {
  const { portRangeMin: min, portRangeMax: max, protocol } = rule;
  if (rule.remoteIpPrefix !== null && rule.remoteGroupId !== null) {
    throw new NeutronError(400, 'SecurityGroupRemoteGroupAndRemoteIpPrefix', 'Only remote_ip_prefix or remote_group_id may be provided.');
  }
  let remoteIpPrefix = rule.remoteIpPrefix;
  if (remoteIpPrefix !== null) {
    const cidr = parseCidr(remoteIpPrefix, false) ?? parseCidr(`${remoteIpPrefix}/${remoteIpPrefix.includes(':') ? 128 : 32}`);
    if (!cidr) throw invalidInput(`'${remoteIpPrefix}' is not a valid IP prefix`);
    if (`IPv${cidr.version}` !== rule.ethertype) {
      throw new NeutronError(400, 'SecurityGroupRuleParameterConflict', `Conflicting value ethertype ${rule.ethertype} for CIDR ${remoteIpPrefix}`);
    }
    remoteIpPrefix = formatCidr(cidr);
  }
  if (min !== null || max !== null) {
    if (protocol === null) throw new NeutronError(400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
    if (PORTED.has(protocol)) {
      if (min === null || max === null || min < 1 || max > 65535 || min > max) {
        throw new NeutronError(400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
      }
    } else if (ICMP.has(protocol)) {
      if ((min !== null && (min < 0 || min > 255)) || (max !== null && (max < 0 || max > 255))) {
        throw new NeutronError(400, 'SecurityGroupInvalidIcmpValue', `Invalid value for ICMP ${min !== null && (min < 0 || min > 255) ? 'type' : 'code'} (port-range-min) ${min ?? max}. It must be 0 to 255.`);
      }
      if (min === null && max !== null) throw new NeutronError(400, 'SecurityGroupMissingIcmpType', `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
    } else {
      throw new NeutronError(400, 'SecurityGroupInvalidProtocolForPort', `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP, DCCP and ICMP protocols`);
    }
  }
  return { ...rule, remoteIpPrefix };
}

/** One text per distinct rule: two rules with the same fingerprint in a group are duplicates. */
export function ruleFingerprint(rule: RuleInput): string {
  const any = (cidr: string | null) => (cidr === '0.0.0.0/0' || cidr === '::/0' ? null : cidr);
  return [rule.direction, rule.ethertype, rule.protocol ?? '', rule.portRangeMin ?? '', rule.portRangeMax ?? '',
    any(rule.remoteIpPrefix) ?? '', rule.remoteGroupId ?? ''].join('|');
}

/** The rules Neutron gives a new group: all egress; the default group also admits ingress from its own members. */
export function initialRules(groupId: string, isDefault: boolean): RuleInput[] {
  const base = { protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null };
  const rules: RuleInput[] = [];
  for (const ethertype of ['IPv4', 'IPv6'] as const) {
    rules.push({ ...base, direction: 'egress', ethertype, remoteGroupId: null });
    if (isDefault) rules.push({ ...base, direction: 'ingress', ethertype, remoteGroupId: groupId });
  }
  return rules;
}
