// The host's port filter script: replaced atomically, anti-spoofing per port, marks that tie the bridge table's
// ports to the inet table's stateful chains, rules per direction, remote groups as sets, and a stable conntrack zone
// per network.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PortDetails } from '../../../domain/port-details.ts';
import type { PortFilterState } from '../data-plane-driver.ts';
import { conntrackZones, linkLocalOf, portFilterRuleset } from './port-filter-ruleset.ts';

const group = '0b8f3c9e-2c55-4d7f-9d3e-6f4e2a1b0c9d';
const other = '7d1e0c52-9a0b-4b7e-8d6c-3f2a1e0d9c8b';
const net = { networkType: 'vxlan', physicalNetwork: null, segmentationId: 5, mtu: 1450 };
const port = (id: string, over: Partial<PortDetails> = {}): PortDetails => ({
  portId: id, networkId: '5a0c8e4f-0000-4000-8000-000000000001', macAddress: 'fa:16:3e:00:00:0a',
  fixedIps: [{ subnetId: 's4', ipAddress: '10.0.0.10' }], adminStateUp: true, deviceOwner: 'compute:nova', deviceId: 'vm', hostId: 'h',
  portSecurityEnabled: true, securityGroupIds: [group], allowedAddressPairs: [], network: net, ...over,
});
const a = port('aaaaaaaa-1111-4111-8111-111111111111');
const b = port('bbbbbbbb-2222-4222-8222-222222222222', { macAddress: 'fa:16:3e:00:00:0b', fixedIps: [{ subnetId: 's4', ipAddress: '10.0.0.11' }], securityGroupIds: [] });
const state = (ports: PortDetails[], over: Partial<PortFilterState['groups']> = {}): PortFilterState => ({
  ports,
  groups: {
    rules: { [group]: [
      { direction: 'egress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null },
      { direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: group },
      { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: null, remoteGroupId: null },
    ] },
    members: { [group]: ['10.0.0.10', '10.0.0.12', '192.0.2.0/24', '2001:db8::5'] },
    ...over,
  },
});
/** The lines of the first block (`chain x` or `set x`) of the script with that header. */
function blockOf(text: string, header: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${header} {`);
  assert.ok(start >= 0, `${header} exists`);
  return lines.slice(start + 1, lines.indexOf('  }', start)).map((l) => l.trim());
}
const chainOf = (text: string, name: string) => blockOf(text, `chain ${name}`);

describe('port filter ruleset', () => {
  it('replaces both Stratus tables in one script, and with no filtered port only removes them', () => {
    const text = portFilterRuleset(state([a]));
    assert.deepEqual(text.split('\n').slice(0, 6), [
      'table bridge stratus', 'delete table bridge stratus', 'table inet stratus', 'delete table inet stratus', 'table bridge stratus {', '  chain forward {',
    ]);
    assert.equal(portFilterRuleset(state([])), 'table bridge stratus\ndelete table bridge stratus\ntable inet stratus\ndelete table inet stratus\n');
    assert.equal(portFilterRuleset(state([b, a])), portFilterRuleset(state([a, b])), 'the order ports come in does not matter');
  });

  it('lets a port send only from its MAC with its fixed IPs, allowed address pairs, link-local address, and DHCP/DAD unaddressed', () => {
    const paired = port(a.portId, {
      fixedIps: [{ subnetId: 's4', ipAddress: '10.0.0.10' }, { subnetId: 's6', ipAddress: '2001:DB8::A' }],
      allowedAddressPairs: [{ ipAddress: '10.0.5.0/24', macAddress: 'fa:16:3e:00:00:99' }, { ipAddress: '10.0.0.200', macAddress: 'fa:16:3e:00:00:0a' }],
    });
    const from = chainOf(portFilterRuleset(state([paired])), `from-${a.portId}`);
    assert.deepEqual(from, [
      'meta mark set meta mark & 0xffff0000 | 0x00008001',
      'ether saddr fa:16:3e:00:00:0a arp saddr ether fa:16:3e:00:00:0a arp saddr ip { 0.0.0.0, 10.0.0.10, 10.0.0.200 } return',
      'ether saddr fa:16:3e:00:00:0a ip saddr { 10.0.0.10, 10.0.0.200 } return',
      'ether saddr fa:16:3e:00:00:0a ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return',
      'ether saddr fa:16:3e:00:00:0a ip6 saddr { fe80::f816:3eff:fe00:a, 2001:db8::a } return',
      'ether saddr fa:16:3e:00:00:0a ip6 saddr :: icmpv6 type { 131, 133, 135, 143 } return',
      'ether saddr fa:16:3e:00:00:99 arp saddr ether fa:16:3e:00:00:99 arp saddr ip { 0.0.0.0, 10.0.5.0/24 } return',
      'ether saddr fa:16:3e:00:00:99 ip saddr { 10.0.5.0/24 } return',
      'ether saddr fa:16:3e:00:00:99 ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 return',
      'ether saddr fa:16:3e:00:00:99 ip6 saddr { fe80::f816:3eff:fe00:99 } return',
      'ether saddr fa:16:3e:00:00:99 ip6 saddr :: icmpv6 type { 131, 133, 135, 143 } return',
      'drop',
    ]);
    assert.equal(linkLocalOf('00:11:22:33:44:55'), 'fe80::211:22ff:fe33:4455');
  });

  it('ties each port\'s tap to its stateful chains through the mark, source in the low half and destination in the high', () => {
    const text = portFilterRuleset(state([a, b]));
    const bridgeForward = chainOf(text, 'forward');
    assert.match(bridgeForward[1], /^iifname vmap \{ "tapaaaaaaaa-11" : jump from-aaaaaaaa-[^,]+, "tapbbbbbbbb-22" : jump from-bbbbbbbb-/);
    assert.match(bridgeForward[2], /^oifname vmap \{ "tapaaaaaaaa-11" : jump to-aaaaaaaa-[^,]+, "tapbbbbbbbb-22" : jump to-bbbbbbbb-/);
    assert.equal(chainOf(text, `to-${b.portId}`)[0], 'meta mark set meta mark & 0x0000ffff | 0x80020000');
    const inetForward = text.split('\n').filter((l) => l.includes('iifname "brq*" meta mark &'));
    assert.deepEqual(inetForward.map((l) => l.trim()), [
      `iifname "brq*" meta mark & 0x0000ffff vmap { 0x00008001 : jump egress-${a.portId}, 0x00008002 : jump egress-${b.portId} }`,
      `iifname "brq*" meta mark & 0xffff0000 vmap { 0x80010000 : jump ingress-${a.portId}, 0x80020000 : jump ingress-${b.portId} }`,
    ]);
    const prerouting = chainOf(text, 'prerouting');
    assert.equal(prerouting[1], 'iifname "brq*" meta mark set 0', 'marks on Stratus bridges are Stratus\'s');
  });

  it('allows ingress by the port\'s ingress rules and egress by its egress rules, statefully, and nothing for a port without groups', () => {
    const text = portFilterRuleset(state([a, b]));
    const ingress = chainOf(text, `ingress-${a.portId}`);
    assert.deepEqual(ingress.slice(3), [
      'ct state invalid drop', 'ct state established,related accept',
      `meta nfproto ipv4 ip saddr @rg4-${group} accept`, 'meta nfproto ipv4 meta l4proto 6 th dport 22 accept', 'drop',
    ]);
    assert.deepEqual(chainOf(text, `egress-${a.portId}`).slice(6), ['ct state invalid drop', 'ct state established,related return', 'meta nfproto ipv4 return', 'drop']);
    // Only what is always allowed (DHCP, neighbor discovery) before the states; then nothing.
    assert.deepEqual(chainOf(text, `ingress-${b.portId}`).slice(3), ['ct state invalid drop', 'ct state established,related accept', 'drop']);
    assert.deepEqual(chainOf(text, `egress-${b.portId}`).slice(0, 6), [
      'meta nfproto ipv4 udp sport 68 udp dport 67 return', 'meta nfproto ipv6 udp sport 546 udp dport 547 return',
      'icmpv6 type { 131, 132, 133, 135, 136, 143 } return', 'icmpv6 type 134 drop', 'udp sport 67 udp dport 68 drop', 'udp sport 547 udp dport 546 drop',
    ]);
    assert.equal(chainOf(text, `egress-${b.portId}`).at(-1), 'drop');
  });

  it('keeps remote group members in sets of their IP version, shared by every port whose rules name the group', () => {
    const twoGroups = state([a, port('cccccccc-3333-4333-8333-333333333333', { securityGroupIds: [other, group] })], {
      rules: { ...state([]).groups.rules, [other]: [{ direction: 'ingress', ethertype: 'IPv6', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: group }] },
    });
    const text = portFilterRuleset(twoGroups);
    assert.deepEqual(blockOf(text, `set rg4-${group}`).filter((l) => l.startsWith('elements')), ['elements = { 10.0.0.10, 10.0.0.12, 192.0.2.0/24 }']);
    assert.deepEqual(blockOf(text, `set rg6-${group}`), ['type ipv6_addr', 'flags interval', 'auto-merge', 'elements = { 2001:db8::5 }']);
    assert.equal(text.split('\n').filter((l) => l.includes(`set rg4-${group} {`)).length, 1);
    // A member leaving changes the set, not the rules.
    const fewer = portFilterRuleset(state([a], { members: { [group]: ['10.0.0.10'] } }));
    assert.ok(fewer.includes('elements = { 10.0.0.10 }'));
    assert.deepEqual(chainOf(fewer, `ingress-${a.portId}`), chainOf(portFilterRuleset(state([a])), `ingress-${a.portId}`));
  });

  it('puts each network in a conntrack zone of its own that does not change as networks come and go', () => {
    const ids = ['5a0c8e4f-0000-4000-8000-000000000001', '6b1d9f50-0000-4000-8000-000000000002', '7c2e0a61-0000-4000-8000-000000000003'];
    const all = conntrackZones(ids);
    assert.equal(new Set(all.values()).size, 3);
    for (const z of all.values()) assert.ok(z >= 1 && z <= 65535);
    assert.equal(conntrackZones([ids[1]]).get(ids[1]), all.get(ids[1]));
    const text = portFilterRuleset(state([a, port('dddddddd-4444-4444-8444-444444444444', { networkId: ids[1] })]));
    assert.ok(text.includes(`ct zone set iifname map { "brq5a0c8e4f-00" : ${all.get(ids[0])}, "brq6b1d9f50-00" : ${all.get(ids[1])} }`));
  });

  it('filters a port of stateless groups without conntrack: no established shortcut, every packet meets the rules', () => {
    const text = portFilterRuleset(state([a, port(b.portId, { ...b, securityGroupIds: [group] })], { stateless: [group] }));
    for (const name of [`egress-${a.portId}`, `ingress-${a.portId}`]) {
      assert.ok(!chainOf(text, name).some((r) => r.startsWith('ct state')), `${name} has no conntrack verdicts`);
    }
    assert.ok(chainOf(text, `ingress-${a.portId}`).includes('meta nfproto ipv4 meta l4proto 6 th dport 22 accept'));
    // The same group stateful again: the conntrack lines come back.
    assert.ok(chainOf(portFilterRuleset(state([a])), `ingress-${a.portId}`).includes('ct state established,related accept'));
    // A port without groups is never stateless.
    assert.ok(chainOf(portFilterRuleset(state([port(a.portId, { securityGroupIds: [] })], { stateless: [group] })), `ingress-${a.portId}`)
      .includes('ct state established,related accept'));
  });

  it('refuses a port whose MAC or addresses are not what the API stores', () => {
    assert.throws(() => portFilterRuleset(state([port(a.portId, { macAddress: 'fa:16:3e:00:00:0a accept' })])), /not a MAC address/);
    assert.throws(() => portFilterRuleset(state([port(a.portId, { fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.1 }' }] })])), /not an IP address/);
    assert.throws(() => portFilterRuleset(state([port('a; flush ruleset')])), /cannot name an nftables object/);
    assert.throws(() => portFilterRuleset(state([a], { members: { [group]: ['10.0.0.0/33'] } })), /not an IP address or prefix/);
  });
});
