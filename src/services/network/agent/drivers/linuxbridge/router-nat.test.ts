// The router namespace's NAT ruleset: metadata redirect, floating IPs both ways, SNAT of internal subnets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RouterInfo } from '../data-plane-driver.ts';
import { routerRuleset } from './router-nat.ts';

const segment = { networkType: 'vxlan', physicalNetwork: null, segmentationId: 5, mtu: 1450 };
const router: RouterInfo = {
  routerId: 'r1', adminStateUp: true, enableSnat: true, routes: [],
  gateway: { portId: 'gwport-0123456789', networkId: 'ext', macAddress: 'fa:16:3e:00:00:09', network: segment,
    addresses: [{ subnetId: 'es', ipAddress: '172.24.4.5', cidr: '172.24.4.0/24', gatewayIp: '172.24.4.1' }] },
  interfaces: [{ portId: 'qrport', networkId: 'n1', macAddress: 'fa:16:3e:00:00:01', network: segment,
    addresses: [{ subnetId: 's1', ipAddress: '10.0.0.1', cidr: '10.0.0.0/24', gatewayIp: '10.0.0.1' }] }],
  floatingIps: [{ id: 'f1', floatingIpAddress: '172.24.4.20', fixedIpAddress: '10.0.0.5' }],
};

describe('router NAT ruleset', () => {
  it('replaces one table atomically with the metadata redirect, floating IP DNAT/SNAT and subnet SNAT', () => {
    const text = routerRuleset(router, { metadataProxy: true });
    assert.deepEqual(text.split('\n').slice(0, 3), ['table ip stratus', 'delete table ip stratus', 'table ip stratus {']);
    assert.ok(text.includes('iifname "qr-*" ip daddr 169.254.169.254 tcp dport 80 redirect to :9697'));
    assert.equal(text.match(/ip daddr 172\.24\.4\.20 dnat to 10\.0\.0\.5/g)?.length, 2, 'prerouting and output');
    const post = text.slice(text.indexOf('chain postrouting'));
    // The floating IP's own SNAT comes before the subnet's, so the VM leaves as its floating IP.
    assert.ok(post.indexOf('oifname "qg-gwport-0123" ip saddr 10.0.0.5 snat to 172.24.4.20') < post.indexOf('oifname "qg-gwport-0123" ip saddr 10.0.0.0/24 snat to 172.24.4.5'));
  });
  it('has no SNAT without enable_snat, and no NAT at all without a gateway', () => {
    assert.ok(!routerRuleset({ ...router, enableSnat: false }, { metadataProxy: false }).includes('10.0.0.0/24'));
    const bare = routerRuleset({ ...router, gateway: null }, { metadataProxy: false });
    assert.ok(!bare.includes('dnat') && !bare.includes('snat') && !bare.includes('redirect'));
  });
  it('refuses an address that is not IPv4 rather than writing it into the ruleset', () => {
    const bad = { ...router, floatingIps: [{ id: 'f2', floatingIpAddress: '1.2.3.4; flush ruleset', fixedIpAddress: '10.0.0.6' }] };
    assert.throws(() => routerRuleset(bad, { metadataProxy: false }), /not an IPv4 address/);
  });
});
