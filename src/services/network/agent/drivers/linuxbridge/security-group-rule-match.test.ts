// Security group rules as nftables matches: protocol names and numbers, port ranges, ICMP type/code, remote prefixes
// and remote groups, per ethertype and direction; anything that is not what the API would store is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleInput } from '../../../domain/security-group-rules.ts';
import { ruleMatch } from './security-group-rule-match.ts';

const rule = (over: Partial<RuleInput>): RuleInput => ({
  direction: 'ingress', ethertype: 'IPv4', protocol: null, portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null, ...over,
});
const group = '0b8f3c9e-2c55-4d7f-9d3e-6f4e2a1b0c9d';

describe('security group rule → nftables match', () => {
  it('matches a whole ethertype when the rule names nothing else, and any prefix of length 0 is no match at all', () => {
    assert.equal(ruleMatch(rule({})), 'meta nfproto ipv4');
    assert.equal(ruleMatch(rule({ ethertype: 'IPv6', direction: 'egress', remoteIpPrefix: '::/0' })), 'meta nfproto ipv6');
    assert.equal(ruleMatch(rule({ remoteIpPrefix: '0.0.0.0/0' })), 'meta nfproto ipv4');
  });

  it('translates protocol names and numbers to protocol numbers, with destination port ranges for ported ones', () => {
    assert.equal(ruleMatch(rule({ protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 })), 'meta nfproto ipv4 meta l4proto 6 th dport 22');
    assert.equal(ruleMatch(rule({ protocol: '17', portRangeMin: 1000, portRangeMax: 2000 })), 'meta nfproto ipv4 meta l4proto 17 th dport 1000-2000');
    assert.equal(ruleMatch(rule({ protocol: 'sctp' })), 'meta nfproto ipv4 meta l4proto 132');
    assert.equal(ruleMatch(rule({ protocol: 'gre', direction: 'egress' })), 'meta nfproto ipv4 meta l4proto 47');
    assert.equal(ruleMatch(rule({ protocol: '112' })), 'meta nfproto ipv4 meta l4proto 112');
  });

  it('reads port_range_min/max as ICMP type and code, and icmp in an IPv6 rule as ICMPv6', () => {
    assert.equal(ruleMatch(rule({ protocol: 'icmp' })), 'meta nfproto ipv4 meta l4proto 1');
    assert.equal(ruleMatch(rule({ protocol: 'icmp', portRangeMin: 8 })), 'meta nfproto ipv4 meta l4proto 1 icmp type 8');
    assert.equal(ruleMatch(rule({ protocol: '1', portRangeMin: 3, portRangeMax: 4 })), 'meta nfproto ipv4 meta l4proto 1 icmp type 3 icmp code 4');
    assert.equal(ruleMatch(rule({ ethertype: 'IPv6', protocol: 'icmp', portRangeMin: 128, portRangeMax: 0 })), 'meta nfproto ipv6 meta l4proto 58 icmpv6 type 128 icmpv6 code 0');
    assert.equal(ruleMatch(rule({ ethertype: 'IPv6', protocol: 'ipv6-icmp' })), 'meta nfproto ipv6 meta l4proto 58');
  });

  it('puts the remote side on the source for ingress and the destination for egress', () => {
    assert.equal(ruleMatch(rule({ remoteIpPrefix: '192.0.2.0/24' })), 'meta nfproto ipv4 ip saddr 192.0.2.0/24');
    assert.equal(ruleMatch(rule({ direction: 'egress', remoteIpPrefix: '192.0.2.7' })), 'meta nfproto ipv4 ip daddr 192.0.2.7/32');
    assert.equal(ruleMatch(rule({ ethertype: 'IPv6', remoteIpPrefix: '2001:DB8::/32' })), 'meta nfproto ipv6 ip6 saddr 2001:db8::/32');
    assert.equal(ruleMatch(rule({ remoteGroupId: group })), `meta nfproto ipv4 ip saddr @rg4-${group}`);
    assert.equal(ruleMatch(rule({ ethertype: 'IPv6', direction: 'egress', protocol: 'tcp', remoteGroupId: group })), `meta nfproto ipv6 meta l4proto 6 ip6 daddr @rg6-${group}`);
  });

  it('refuses what would put unchecked text into a ruleset', () => {
    assert.throws(() => ruleMatch(rule({ remoteIpPrefix: '10.0.0.0/8 accept' })), /not an IPv4 prefix/);
    assert.throws(() => ruleMatch(rule({ remoteIpPrefix: '2001:db8::/32' })), /not an IPv4 prefix/);
    assert.throws(() => ruleMatch(rule({ remoteGroupId: 'x; flush ruleset' })), /cannot name an nftables object/);
    assert.throws(() => ruleMatch(rule({ protocol: 'constructor' })), /not an IP protocol/);
    assert.throws(() => ruleMatch(rule({ protocol: 'tcp', portRangeMin: 1, portRangeMax: 70000 })), /out of range/);
    assert.throws(() => ruleMatch(rule({ ethertype: 'IPv5' as 'IPv4' })), /not an ethertype/);
  });
});
