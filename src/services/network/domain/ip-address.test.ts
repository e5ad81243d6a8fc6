// Address arithmetic both families rely on: parsing, canonical formatting and CIDR ranges.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cidrsOverlap, formatCidr, formatIp, normalizeIp, parseCidr, parseIp } from './ip-address.ts';

describe('ip addresses', () => {
  it('round-trips IPv4 and IPv6 into canonical text', () => {
    assert.equal(normalizeIp('10.0.0.1'), '10.0.0.1');
    assert.equal(normalizeIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(normalizeIp('2001:db8:0:1:0:0:0:0'), '2001:db8:0:1::');
    assert.equal(normalizeIp('::'), '::');
    assert.equal(normalizeIp('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.equal(normalizeIp('2001:db8:1:0:1:0:0:1'), '2001:db8:1:0:1::1');
    assert.equal(normalizeIp('1:0:1:1:1:1:1:1'), '1:0:1:1:1:1:1:1');
    assert.equal(normalizeIp('10.0.0.256'), undefined);
    assert.equal(normalizeIp('fe80::1%eth0'), undefined);
    assert.equal(formatIp(4, parseIp('192.168.1.200')!.value + 1n), '192.168.1.201');
  });

  it('parses CIDRs strictly and detects overlaps within one family only', () => {
    const a = parseCidr('10.0.0.0/24')!;
    assert.equal(a.last - a.network, 255n);
    assert.equal(parseCidr('10.0.0.1/24'), undefined);
    assert.equal(formatCidr(parseCidr('10.0.0.1/24', false)!), '10.0.0.0/24');
    assert.equal(parseCidr('10.0.0.0/33'), undefined);
    assert.equal(parseCidr('10.0.0.0'), undefined);
    assert.equal(formatCidr(parseCidr('2001:db8::/64')!), '2001:db8::/64');
    assert.ok(cidrsOverlap(a, parseCidr('10.0.0.128/25')!));
    assert.ok(!cidrsOverlap(a, parseCidr('10.0.1.0/24')!));
    assert.ok(!cidrsOverlap(a, parseCidr('::/0')!));
  });
});
