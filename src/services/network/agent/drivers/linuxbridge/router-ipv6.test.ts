// Router advertisements as the router's namespace sends them: one dnsmasq (RA only: it ignores every DHCPv6 packet,
// no DNS) for the legs of subnets with an ipv6_ra_mode, each prefix taken from the leg's own address, in the mode
// that sets Neutron's flags; nothing for IPv4 legs or legs without ipv6_ra_mode.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouterLeg } from '../data-plane-driver.ts';
import { legIpv6Addresses, routerAdvertisementArgs } from './router-ipv6.ts';

const net = { networkType: 'vxlan', physicalNetwork: null, segmentationId: 7, mtu: 1450 };
const leg = (portId: string, addresses: RouterLeg['addresses']): RouterLeg => ({ portId, networkId: `n-${portId}`, macAddress: 'fa:16:3e:00:00:01', addresses, network: net });
const v6 = (cidr: string, ip: string, ipv6RaMode: string | null) => ({ subnetId: `s-${cidr}`, ipAddress: ip, cidr, gatewayIp: ip, ipv6RaMode });

describe('router IPv6', () => {
  it('advertises SLAAC, stateless and stateful subnets from the legs holding their gateways, and nothing else', () => {
    const legs = new Map<string, RouterLeg>([
      ['qr-b', leg('b', [v6('fd00:2::/64', 'fd00:2::1', 'dhcpv6-stateless')])],
      ['qr-a', leg('a', [{ subnetId: 's4', ipAddress: '10.0.0.1', cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1' }, v6('fd00:1::/64', 'fd00:1:0::1', 'slaac')])],
      ['qr-c', leg('c', [v6('fd00:3::/64', 'fd00:3::1', null), v6('fd00:4::/64', 'fd00:4::1', 'dhcpv6-stateful')])],
    ]);
    assert.deepEqual(legIpv6Addresses(legs.get('qr-a')!), ['fd00:1::1/64']);
    const args = routerAdvertisementArgs(legs, '/state/ra/pid')!;
    assert.deepEqual(args.filter((a) => a.startsWith('--interface=') || a.startsWith('--dhcp-range=')), [
      '--interface=qr-a', '--interface=qr-b', '--interface=qr-c',
      // ra-only: prefix autonomous; ra-stateless: autonomous with O; a plain (static) range: M and O, prefix on-link only.
      '--dhcp-range=::,constructor:qr-a,ra-only,64', '--dhcp-range=::,constructor:qr-b,ra-stateless,64', '--dhcp-range=::,constructor:qr-c,static,64',
    ]);
    assert.ok(args.includes('--enable-ra') && args.includes('--port=0') && args.includes('--pid-file=/state/ra/pid'));
    assert.ok(args.includes('--dhcp-ignore=tag:dhcpv6'), 'the network\'s DHCP server answers DHCPv6, not the router');
  });

  it('runs no advertiser for a router without an advertised IPv6 subnet', () => {
    assert.equal(routerAdvertisementArgs(new Map([['qr-c', leg('c', [v6('fd00:3::/64', 'fd00:3::1', null)])]]), '/p'), undefined);
  });
});
