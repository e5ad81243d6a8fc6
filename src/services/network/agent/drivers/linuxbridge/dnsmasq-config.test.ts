// The dnsmasq files one network's DHCP server is given.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DhcpNetwork } from '../data-plane-driver.ts';
import { dhcpInterfaceAddresses, dnsmasqArgs, hostsFile, optsFile } from './dnsmasq-config.ts';

const network: DhcpNetwork = {
  networkId: 'n1', network: { networkType: 'vxlan', physicalNetwork: null, segmentationId: 7, mtu: 1450 },
  subnets: [
    { subnetId: 's1', ipVersion: 4, cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1', dnsNameservers: ['9.9.9.9', '1.1.1.1'], hostRoutes: [{ destination: '10.9.0.0/16', nexthop: '10.0.0.254' }] },
    { subnetId: 's2', ipVersion: 4, cidr: '10.1.0.0/20', gatewayIp: null, dnsNameservers: [], hostRoutes: [] },
  ],
  dhcpPort: { portId: 'p0', macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ subnetId: 's1', ipAddress: '10.0.0.2' }, { subnetId: 's2', ipAddress: '10.1.0.2' }] },
  hosts: [{ portId: 'p1', macAddress: 'fa:16:3e:00:00:02', ipAddress: '10.0.0.5', hostname: 'host-10-0-0-5' }],
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
});
