// The host's port filters as one nftables script, rendered without I/O and applied in one `nft -f` transaction:
// both Stratus tables are created if missing, deleted and defined anew, so every apply is atomic and idempotent.
//
// Two tables, because bridge-family conntrack (nf_conntrack_bridge) is not in every kernel while br_netfilter is:
// - `bridge stratus` sees the tap a frame comes from or goes to. From a filtered tap it enforces anti-spoofing (only
//   the port's MACs with its fixed IPs and allowed address pairs, DHCP discovery from 0.0.0.0, DAD from ::, ARP for
//   its own addresses, nothing but IPv4/IPv6/ARP), and it tags the packet's mark with the two ports' indexes.
// - `inet stratus` is where br_netfilter (switched on per Stratus bridge) runs bridged IP traffic through conntrack:
//   it zeroes the mark of packets on Stratus bridges and puts each network in its own conntrack zone (prerouting),
//   then dispatches by the mark to the source port's egress chain (return = allowed) and the destination port's
//   ingress chain (accept), both stateful, as Neutron's firewall drivers do. A port whose groups are stateless
//   (`stateful: false`) gets the same chains without the conntrack lines: every packet, replies too, must match a rule.
import type { PortDetails } from '../../../domain/port-details.ts';
import type { SecurityGroupInfo } from '../../../domain/security-group-info.ts';
import { portIsStateless } from '../../../domain/security-group-info.ts';
import type { PortFilterState } from '../data-plane-driver.ts';
import { bridgeName, tapName } from '../../../domain/device-names.ts';
import { formatCidr, formatIp, parseCidr, parseIp } from '../../../domain/ip-address.ts';
import { normalizeMac } from '../../../domain/mac-address.ts';
import { nftId, remoteGroupSet, ruleMatch } from './security-group-rule-match.ts';

export const FILTER_TABLE = 'stratus';
/** A port's index sits in the low half of the mark (source) or the high half (destination), each with a flag bit. */
const MAX_PORTS = 0x7fff;
const FROM_FLAG = 0x8000;

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const quoted = (name: string) => `"${name}"`;

/** The link-local address IPv6 derives from a MAC (EUI-64), which a port may always use. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const groups = [(b[0] ^ 0x02) << 8 | b[1], b[2] << 8 | 0xff, 0xfe << 8 | b[3], b[4] << 8 | b[5]];
  return formatIp(6, (0xfe80n << 112n) | groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n));
}

/** An address or CIDR as canonical text with its version; an error for anything else. */
function address(text: string): { version: 4 | 6; text: string } {
  if (text.includes('/')) {
    const cidr = parseCidr(text, false);
    if (cidr) return { version: cidr.version, text: formatCidr(cidr) };
  } else {
    const ip = parseIp(text);
    if (ip) return { version: ip.version, text: formatIp(ip.version, ip.value) };
  }
  throw new Error(`'${text}' is not an IP address or prefix`);
}

/** Each MAC the port may send from, with the addresses it may use with it. */
function sources(port: PortDetails): Map<string, { v4: string[]; v6: string[] }> {
  const out = new Map<string, { v4: string[]; v6: string[] }>();
  const add = (macText: string, ip?: string) => {
    const mac = normalizeMac(macText);
    if (!mac) throw new Error(`'${macText}' is not a MAC address`);
    const entry = out.get(mac) ?? { v4: [], v6: [linkLocalOf(mac)] };
    out.set(mac, entry);
    if (ip === undefined) return;
    const a = address(ip);
    const list = a.version === 4 ? entry.v4 : entry.v6;
    if (!list.includes(a.text)) list.push(a.text);
  };
  add(port.macAddress);
  for (const f of port.fixedIps) add(port.macAddress, f.ipAddress);
  for (const p of port.allowedAddressPairs) add(p.macAddress || port.macAddress, p.ipAddress);
  return out;
}

const set = (items: string[]) => `{ ${items.join(', ')} }`;

function fromChain(port: PortDetails, index: number): string[] {
  const rules = [`meta mark set meta mark & 0xffff0000 | ${hex(FROM_FLAG | index)}`];
  for (const [mac, { v4, v6 }] of sources(port)) {
    rules.push(`ether saddr ${mac} arp saddr ether ${mac} arp saddr ip ${set(['0.0.0.0', ...v4])} return`);
    if (v4.length) rules.push(`ether saddr ${mac} ip saddr ${set(v4)} return`);
    rules.push(`ether saddr ${mac} ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return`);
    rules.push(`ether saddr ${mac} ip6 saddr ${set(v6)} return`);
    // Duplicate address detection, router solicitation and MLD reports before an address is configured.
    rules.push(`ether saddr ${mac} ip6 saddr :: icmpv6 type { 131, 133, 135, 143 } return`);
  }
  rules.push('drop');
  return rules;
}

function toChain(index: number): string[] {
  return [`meta mark set meta mark & 0x0000ffff | ${hex((FROM_FLAG | index) << 16)}`, 'ether type { ip, ip6, arp } return', 'drop'];
}

/** The port's rules of one direction, deduplicated, in a stable order. */
function ruleMatches(port: PortDetails, groups: SecurityGroupInfo, direction: 'ingress' | 'egress'): string[] {
  const rules = port.securityGroupIds.flatMap((g) => groups.rules[g] ?? []).filter((r) => r.direction === direction);
  return [...new Set(rules.map(ruleMatch))];
}

/** Conntrack's verdicts, which a stateless port does without. */
const conntrackLines = (port: PortDetails, groups: SecurityGroupInfo, verdict: 'return' | 'accept'): string[] =>
  portIsStateless(port.securityGroupIds, groups) ? [] : ['ct state invalid drop', `ct state established,related ${verdict}`];

function egressChain(port: PortDetails, groups: SecurityGroupInfo): string[] {
  return [
    // What a port may always send: DHCP and DHCPv6 requests, router and neighbor solicitation, neighbor
    // advertisements and MLD reports; never DHCP offers or router advertisements of its own.
    'meta nfproto ipv4 udp sport 68 udp dport 67 return',
    'meta nfproto ipv6 udp sport 546 udp dport 547 return',
    'icmpv6 type { 131, 132, 133, 135, 136, 143 } return',
    'icmpv6 type 134 drop',
    'udp sport 67 udp dport 68 drop',
    'udp sport 547 udp dport 546 drop',
    ...conntrackLines(port, groups, 'return'),
    ...ruleMatches(port, groups, 'egress').map((m) => `${m} return`),
    'drop',
  ];
}

function ingressChain(port: PortDetails, groups: SecurityGroupInfo): string[] {
  return [
    // What a port may always receive: DHCP and DHCPv6 answers, router advertisements, neighbor discovery, MLD queries.
    'meta nfproto ipv4 udp sport 67 udp dport 68 accept',
    'ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept',
    'icmpv6 type { 130, 134, 135, 136 } accept',
    ...conntrackLines(port, groups, 'accept'),
    ...ruleMatches(port, groups, 'ingress').map((m) => `${m} accept`),
    'drop',
  ];
}

/** A conntrack zone per network, stable across applies (FNV-1a of its id, probing past a clash). */
export function conntrackZones(networkIds: string[]): Map<string, number> {
  const zones = new Map<string, number>();
  const taken = new Set<number>();
  for (const id of [...new Set(networkIds)].sort()) {
    let h = 0x811c9dc5;
    for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    let zone = (h % 65535) + 1;
    while (taken.has(zone)) zone = (zone % 65535) + 1;
    taken.add(zone);
    zones.set(id, zone);
  }
  return zones;
}

function remoteSets(ports: PortDetails[], groups: SecurityGroupInfo): string[] {
  const wanted = new Map<string, Set<4 | 6>>();
  for (const port of ports) {
    for (const rule of port.securityGroupIds.flatMap((g) => groups.rules[g] ?? [])) {
      if (rule.remoteGroupId === null) continue;
      const versions = wanted.get(rule.remoteGroupId) ?? new Set();
      versions.add(rule.ethertype === 'IPv6' ? 6 : 4);
      wanted.set(rule.remoteGroupId, versions);
    }
  }
  const out: string[] = [];
  for (const [groupId, versions] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    const members = (groups.members[groupId] ?? []).map(address);
    for (const version of [...versions].sort()) {
      const elements = [...new Set(members.filter((m) => m.version === version).map((m) => m.text))];
      out.push(`  set ${remoteGroupSet(groupId, version)} {`, `    type ipv${version}_addr`, '    flags interval', '    auto-merge');
      if (elements.length) out.push(`    elements = ${set(elements)}`);
      out.push('  }');
    }
  }
  return out;
}

const chain = (name: string, rules: string[], hook?: string) => [
  `  chain ${name} {`, ...(hook ? [`    ${hook}`] : []), ...rules.map((r) => `    ${r}`), '  }',
];

/** The script making the host's port filters exactly `state` (no ports: both tables removed). */
export function portFilterRuleset(state: PortFilterState): string {
  const head = ['bridge', 'inet'].flatMap((family) => [`table ${family} ${FILTER_TABLE}`, `delete table ${family} ${FILTER_TABLE}`]);
  if (!state.ports.length) return [...head, ''].join('\n');
  const ports = [...state.ports].sort((a, b) => a.portId.localeCompare(b.portId));
  if (ports.length > MAX_PORTS) throw new Error(`at most ${MAX_PORTS} filtered ports fit on one host (there are ${ports.length})`);
  const indexed = ports.map((port, i) => ({ port, id: nftId(port.portId), tap: quoted(tapName(port.portId)), index: i + 1 }));
  const zones = conntrackZones(ports.map((p) => p.networkId));

  const bridgeTable = [
    `table bridge ${FILTER_TABLE} {`,
    ...chain('forward', [
      `iifname vmap ${set(indexed.map((p) => `${p.tap} : jump from-${p.id}`))}`,
      `oifname vmap ${set(indexed.map((p) => `${p.tap} : jump to-${p.id}`))}`,
    ], 'type filter hook forward priority -200; policy accept;'),
    // Frames a port sends to the host itself are held to the same anti-spoofing.
    ...chain('input', [`iifname vmap ${set(indexed.map((p) => `${p.tap} : jump from-${p.id}`))}`], 'type filter hook input priority -200; policy accept;'),
    ...indexed.flatMap((p) => [...chain(`from-${p.id}`, fromChain(p.port, p.index)), ...chain(`to-${p.id}`, toChain(p.index))]),
    '}',
  ];
  const inetTable = [
    `table inet ${FILTER_TABLE} {`,
    ...remoteSets(ports, state.groups),
    ...chain('prerouting', [
      'iifname "brq*" meta mark set 0',
      `ct zone set iifname map ${set([...zones].map(([networkId, zone]) => `${quoted(bridgeName(nftId(networkId)))} : ${zone}`))}`,
    ], 'type filter hook prerouting priority raw; policy accept;'),
    ...chain('forward', [
      `iifname "brq*" meta mark & 0x0000ffff vmap ${set(indexed.map((p) => `${hex(FROM_FLAG | p.index)} : jump egress-${p.id}`))}`,
      `iifname "brq*" meta mark & 0xffff0000 vmap ${set(indexed.map((p) => `${hex((FROM_FLAG | p.index) << 16)} : jump ingress-${p.id}`))}`,
    ], 'type filter hook forward priority filter; policy accept;'),
    ...indexed.flatMap((p) => [...chain(`egress-${p.id}`, egressChain(p.port, state.groups)), ...chain(`ingress-${p.id}`, ingressChain(p.port, state.groups))]),
    '}',
  ];
  return [...head, ...bridgeTable, ...inetTable, ''].join('\n');
}
