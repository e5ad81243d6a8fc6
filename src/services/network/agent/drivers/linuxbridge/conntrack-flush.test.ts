// The conntrack deletions a shrinking filter needs: one per lost rule (narrowed by protocol, port and remote prefix),
// one per address a kept remote group lost (shared by every port in the zone), none for what was added, for unchanged filters or for ports that left.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PortDetails } from '../../../domain/port-details.ts';
import type { RuleInput } from '../../../domain/security-group-rules.ts';
import type { PortFilterState } from '../data-plane-driver.ts';
import { conntrackDeletions } from './conntrack-flush.ts';
import { conntrackZones } from './port-filter-ruleset.ts';

const group = '0b8f3c9e-2c55-4d7f-9d3e-6f4e2a1b0c9d';
const networkId = '5a0c8e4f-0000-4000-8000-000000000001';
const zone = String(conntrackZones([networkId]).get(networkId));
const port: PortDetails = {
  portId: 'aaaaaaaa-1111-4111-8111-111111111111', networkId, macAddress: 'fa:16:3e:00:00:0a',
  fixedIps: [{ subnetId: 's4', ipAddress: '10.0.0.10' }, { subnetId: 's6', ipAddress: '2001:db8::a' }], adminStateUp: true,
  deviceOwner: 'compute:nova', deviceId: 'vm', hostId: 'h', portSecurityEnabled: true, securityGroupIds: [group], allowedAddressPairs: [],
  network: { networkType: 'vxlan', physicalNetwork: null, segmentationId: 5, mtu: 1450 },
};
const rule = (over: Partial<RuleInput>): RuleInput => ({
  direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null, ...over,
});
const ssh = rule({ protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '192.0.2.0/24' });
const icmp6 = rule({ ethertype: 'IPv6', protocol: 'icmp' });
const fromGroup = rule({ remoteGroupId: group });
const out = rule({ direction: 'egress', protocol: 'udp', portRangeMin: 1000, portRangeMax: 2000 });
const state = (rules: RuleInput[], members: string[] = [], ports = [port]): PortFilterState => ({
  ports, groups: { rules: { [group]: rules }, members: { [group]: members } },
});

describe('conntrack deletions', () => {
  it('ends the flows each lost rule admitted, in the port\'s zone and direction', () => {
    const before = state([ssh, icmp6, fromGroup, out], ['10.0.0.11']);
    assert.deepEqual(conntrackDeletions(before, state([fromGroup], ['10.0.0.11'])), [
      ['conntrack', '-D', '-w', zone, '-f', 'ipv4', '-p', '6', '--dport', '22', '-d', '10.0.0.10', '-s', '192.0.2.0/24'],
      ['conntrack', '-D', '-w', zone, '-f', 'ipv6', '-p', '58', '-d', '2001:db8::a'],
      // A port range is not one conntrack filter: every UDP flow from the port goes, and the rules readmit the rest.
      ['conntrack', '-D', '-w', zone, '-f', 'ipv4', '-p', '17', '-s', '10.0.0.10'],
    ]);
  });

  it('ends the flows of each remote group member that left, once per zone however many ports trusted it', () => {
    // IPv4 rules: the IPv6 member that left admitted nothing through them.
    const before = state([fromGroup, { ...fromGroup, direction: 'egress' }], ['10.0.0.11', '10.0.0.12', '2001:db8::b']);
    const other = { ...port, portId: 'bbbbbbbb-2222-4222-8222-222222222222', fixedIps: [{ subnetId: 's4', ipAddress: '10.0.0.13' }] };
    const both = (members: string[]) => ({ ...state(before.groups.rules[group], members), ports: [port, other] });
    assert.deepEqual(conntrackDeletions(both(['10.0.0.11', '10.0.0.12', '2001:db8::b']), both(['10.0.0.12'])), [
      ['conntrack', '-D', '-w', zone, '-f', 'ipv4', '-s', '10.0.0.11'],
      ['conntrack', '-D', '-w', zone, '-f', 'ipv4', '-d', '10.0.0.11'],
    ]);
  });

  it('deletes nothing when filters only grow or stay, or when the port itself went', () => {
    assert.deepEqual(conntrackDeletions(state([ssh]), state([ssh, icmp6])), []);
    assert.deepEqual(conntrackDeletions(state([fromGroup], ['10.0.0.11']), state([fromGroup], ['10.0.0.11', '10.0.0.12'])), []);
    assert.deepEqual(conntrackDeletions(state([ssh]), state([], [], [])), []);
  });

  it('treats a port leaving its group as losing the group\'s rules', () => {
    const after = state([ssh], [], [{ ...port, securityGroupIds: [] }]);
    assert.equal(conntrackDeletions(state([ssh]), after).length, 1);
  });
});
