// IPAM rules: default pools avoid the network, broadcast and gateway addresses; requested pools are checked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, parseIp } from './ip-address.ts';
import { defaultGateway, defaultPools, formatPools, nextFreeAddress, parsePools } from './ipam.ts';

const ip = (t: string) => parseIp(t)!.value;

describe('ipam rules', () => {
  it('splits the default IPv4 pool around the gateway and skips network and broadcast', () => {
    const c = parseCidr('10.0.0.0/28')!;
    const gw = defaultGateway(c)!;
    assert.equal(gw, ip('10.0.0.1'));
    assert.deepEqual(formatPools(4, defaultPools(c, gw)), [{ start: '10.0.0.2', end: '10.0.0.14' }]);
    assert.deepEqual(formatPools(4, defaultPools(c, ip('10.0.0.5'))), [{ start: '10.0.0.1', end: '10.0.0.4' }, { start: '10.0.0.6', end: '10.0.0.14' }]);
    assert.deepEqual(formatPools(6, defaultPools(parseCidr('2001:db8::/64')!, ip('2001:db8::1'))), [{ start: '2001:db8::2', end: '2001:db8::ffff:ffff:ffff:ffff' }]);
  });

  it('refuses pools outside the subnet, overlapping, reversed or holding the gateway', () => {
    const c = parseCidr('10.0.0.0/24')!;
    assert.throws(() => parsePools(c, [{ start: '10.0.1.1', end: '10.0.1.5' }], undefined), /OutOfBounds|spans beyond/);
    assert.throws(() => parsePools(c, [{ start: '10.0.0.9', end: '10.0.0.5' }], undefined), /start is after end/);
    assert.throws(() => parsePools(c, [{ start: '10.0.0.2', end: '10.0.0.9' }, { start: '10.0.0.9', end: '10.0.0.20' }], undefined), /overlapping/);
    assert.throws(() => parsePools(c, [{ start: '10.0.0.1', end: '10.0.0.9' }], ip('10.0.0.1')), /conflicts with allocation pool/);
    assert.throws(() => parsePools(c, [{ start: 'fe80::1', end: 'fe80::9' }], undefined), /Invalid allocation pool/);
  });

  it('hands out the lowest free address and never the gateway', () => {
    const pools = [{ start: ip('10.0.0.1'), end: ip('10.0.0.4') }];
    assert.equal(nextFreeAddress(pools, new Set([ip('10.0.0.2')]), ip('10.0.0.1')), ip('10.0.0.3'));
    assert.equal(nextFreeAddress(pools, new Set([ip('10.0.0.2'), ip('10.0.0.3'), ip('10.0.0.4')]), ip('10.0.0.1')), undefined);
  });
});
