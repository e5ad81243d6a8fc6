// The dnsmasq files one network's DHCP server is given.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DhcpNetwork } from '../data-plane-driver.ts';
import { dhcpInterfaceAddresses, dnsmasqArgs, hostsFile, optsFile, servedSubnet } from './dnsmasq-config.ts';

const network: DhcpNetwork = {
  networkId: 'n1', network: { networkType: 'vxlan', physicalNetwork: null, segmentationId: 7, mtu: 1450 },
  subnets: [
    { subnetId: 's1', ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', dnsNameservers: ['9.9.9.9', '1.1.1.1'], hostRoutes: [{ destination: '10.9.0.0/16', nexthop: '10.0.0.254' }] },
    { subnetId: 's2', ipVersion: 4, cidr: '10.1.0.0/20', gatewayIp: null, dnsNameservers: [], hostRoutes: [] },
  ],
  dhcpPort: { portId: 'p0', macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ subnetId: 's1', ipAddress: '10.0.0.2' }, { subnetId: 's2', ipAddress: '10.1.0.2' }] },
  hosts: [{ portId: 'p1', macAddress: 'fa:16:3e:00:00:02', ipAddress: '10.0.0.5', hostname: 'host-10-0-0-5' }],
};

// A dual-stack network with one IPv6 subnet per address mode (and one /56, which dnsmasq is not given).
const v6 = (subnetId: string, cidr: string, mode: string | null, ra: string | null = mode) => ({
  subnetId, ipVersion: 6, cidr, gatewayIp: cidr.replace('::/64', '::1'), dnsNameservers: ['2001:4860:0:0::8888', '9.9.9.9'], hostRoutes: [], ipv6AddressMode: mode, ipv6RaMode: ra,
});
const dual: DhcpNetwork = {
  ...network,
  subnets: [network.subnets[0], v6('sf', 'fd00:1::/64', 'dhcpv6-stateful'), v6('sl', 'fd00:2::/64', 'dhcpv6-stateless'), v6('sa', 'fd00:3::/64', 'slaac'),
    v6('sn', 'fd00:4::/64', null), v6('ss', 'fd00:5::/56', 'dhcpv6-stateful')],
  dhcpPort: { ...network.dhcpPort!, fixedIps: [{ subnetId: 's1', ipAddress: '10.0.0.2' }, { subnetId: 'sf', ipAddress: 'fd00:1::2' }, { subnetId: 'sl', ipAddress: 'fd00:2::f816:3eff:fe00:1' }] },
  hosts: [
    { portId: 'p1', macAddress: 'fa:16:3e:00:00:02', ipAddress: '10.0.0.5', hostname: 'host-10-0-0-5' },
    { portId: 'p1', macAddress: 'fa:16:3e:00:00:02', ipAddress: 'fd00:1::5', hostname: 'host-fd00-1--5' },
    { portId: 'p1', macAddress: 'fa:16:3e:00:00:02', ipAddress: 'fd00:2::f816:3eff:fe00:2', hostname: 'host-fd00-2--f816-3eff-fe00-2' },
    { portId: 'p1', macAddress: 'fa:16:3e:00:00:02', ipAddress: 'fd00:3::f816:3eff:fe00:2', hostname: 'host-fd00-3--f816-3eff-fe00-2' },
    { portId: 'p2', macAddress: 'fa:16:3e:00:00:03', ipAddress: 'fd00:4::7', hostname: 'host-fd00-4--7' },
  ],
};

describe('dnsmasq configuration', () => {
  it('gives the DHCP interface one address per subnet with its prefix', () => {
    assert.deepEqual(dhcpInterfaceAddresses(network), ['10.0.0.2/24', '10.1.0.2/20']);
  });
  it('serves one tagged static range per subnet on the DHCP interface only', () => {
    const args = dnsmasqArgs(network, { interfaceName: 'ns-p0', files: { pid: '/s/pid', hosts: '/s/host', opts: '/s/opts' }, leaseSeconds: 600 });
    assert.equal(args[0], 'dnsmasq');
    assert.ok(args.includes('--interface=ns-p0') && args.includes('--bind-interfaces'));
    assert.ok(args.includes('--pid-file=/s/pid') && args.includes('--dhcp-hostsfile=/s/host') && args.includes('--dhcp-optsfile=/s/opts'));
    assert.deepEqual(args.filter((a) => a.startsWith('--dhcp-range=')), [
      '--dhcp-range=set:subnet-s1,10.0.0.0,static,255.255.255.0,600s', '--dhcp-range=set:subnet-s2,10.1.0.0,static,255.255.240.0,600s',
    ]);
  });
  it('lists each port as MAC, name, address', () => {
    assert.equal(hostsFile(network), 'fa:16:3e:00:00:02,host-10-0-0-5,10.0.0.5\n');
  });
  it('routes 169.254.169.254 via the DHCP port on isolated subnets when isolated metadata is on', () => {
    const isolated: DhcpNetwork = { ...network, subnets: network.subnets.map((s) => (s.subnetId === 's2' ? { ...s, isolated: true } : { ...s, isolated: false })) };
    const lines = optsFile(isolated, { isolatedMetadata: true }).split('\n');
    assert.ok(lines.includes('tag:subnet-s2,option:classless-static-route,169.254.169.254/32,10.1.0.2'));
    assert.ok(!lines.some((l) => l.startsWith('tag:subnet-s1') && l.includes('169.254.169.254')), 'a routed subnet reaches metadata through its router');
    assert.equal(optsFile(isolated), optsFile(network), 'off: no metadata route');
  });
  it('gives router, DNS, host routes with the default route, and the MTU', () => {
    assert.equal(optsFile(network), [
      'option:mtu,1450',
      'tag:subnet-s1,option:router,10.0.0.1',
      'tag:subnet-s1,option:dns-server,9.9.9.9,1.1.1.1',
      'tag:subnet-s1,option:classless-static-route,10.9.0.0/16,10.0.0.254,0.0.0.0/0,10.0.0.1',
      'tag:subnet-s1,249,10.9.0.0/16,10.0.0.254,0.0.0.0/0,10.0.0.1',
      'tag:subnet-s2,option:router',
    ].map((l) => `${l}\n`).join(''));
  });
  it('serves IPv6 subnets in a DHCPv6 address mode (or none) with a static range of their prefix, not SLAAC or short prefixes', () => {
    const args = dnsmasqArgs(dual, { interfaceName: 'ns-p0', files: { pid: '/s/pid', hosts: '/s/host', opts: '/s/opts' }, leaseSeconds: 600 });
    assert.deepEqual(args.filter((a) => a.startsWith('--dhcp-range=')), [
      '--dhcp-range=set:subnet-s1,10.0.0.0,static,255.255.255.0,600s',
      '--dhcp-range=set:subnet-sf,fd00:1::,static,64,600s',
      '--dhcp-range=set:subnet-sl,fd00:2::,static,64,600s',
      '--dhcp-range=set:subnet-sn,fd00:4::,static,64,600s',
    ]);
    assert.deepEqual(dual.subnets.filter(servedSubnet).map((s) => s.subnetId), ['s1', 'sf', 'sl', 'sn']);
    assert.equal(servedSubnet({ ...v6('x', 'fd00:9::/64', null, 'slaac') }), false, 'no address mode but advertised as SLAAC: not served');
  });
  it('gives stateful (and mode-less) IPv6 addresses by MAC in brackets, never stateless or SLAAC ones', () => {
    assert.equal(hostsFile(dual), [
      'fa:16:3e:00:00:02,host-10-0-0-5,10.0.0.5',
      'fa:16:3e:00:00:02,host-fd00-1--5,[fd00:1::5]',
      'fa:16:3e:00:00:03,host-fd00-4--7,[fd00:4::7]',
    ].map((l) => `${l}\n`).join(''));
  });
  it('gives IPv6 subnets their IPv6 DNS servers and the search domain, no router or routes', () => {
    const lines = optsFile(dual).split('\n').filter((l) => /subnet-s[flns]\b/.test(l));
    assert.deepEqual(lines, [
      'tag:subnet-sf,option6:dns-server,[2001:4860::8888]', 'tag:subnet-sf,option6:domain-search,openstacklocal',
      'tag:subnet-sl,option6:dns-server,[2001:4860::8888]', 'tag:subnet-sl,option6:domain-search,openstacklocal',
      'tag:subnet-sn,option6:dns-server,[2001:4860::8888]', 'tag:subnet-sn,option6:domain-search,openstacklocal',
    ]);
  });
  it('gives the DHCP interface its IPv6 addresses too', () => {
    assert.deepEqual(dhcpInterfaceAddresses(dual), ['10.0.0.2/24', 'fd00:1::2/64', 'fd00:2::f816:3eff:fe00:1/64']);
  });
});
