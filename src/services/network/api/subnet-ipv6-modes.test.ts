// IPv6 address and RA modes as Neutron takes them: the combinations it refuses (400 InvalidInput, nothing created or
// changed), and which subnets the network's DHCP server then serves (what get_dhcp_network sends the agent).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startNetwork } from './test-network.ts';
import type { TestNetwork } from './test-network.ts';
import { servesDhcp } from './dhcp-ports.ts';

describe('network API: IPv6 subnet modes', () => {
  let n: TestNetwork;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let net: any;
  before(async () => {
    n = await startNetwork();
    net = await n.create(n.as.alice, 'networks', 'network', { name: 'v6-modes' });
  });
  after(async () => { await n?.close(); });

  const post = (subnet: Record<string, unknown>) => n.call('POST', '/v2.0/subnets', { token: n.as.alice.token, body: { subnet: { network_id: net.id, ip_version: 6, ...subnet } } });

  it('refuses mismatched modes, modes without DHCP, and autoconfiguration off /64, creating nothing', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ cidr: 'fd00:10::/64', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' }, /If both attributes are set, they must be the same value/],
      [{ cidr: 'fd00:11::/64', ipv6_address_mode: 'dhcpv6-stateful', enable_dhcp: false }, /cannot be set when enable_dhcp is set to False/],
      [{ cidr: 'fd00:12::/80', ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' }, /requires the prefix to be \/64/],
      [{ cidr: 'fd00:13::/80', ipv6_ra_mode: 'dhcpv6-stateless' }, /requires the prefix to be \/64/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.NeutronError.type, 'InvalidInput');
      assert.match(r.body.NeutronError.message, message);
    }
    assert.deepEqual((await n.call('GET', `/v2.0/subnets?network_id=${net.id}`, { token: n.as.alice.token })).body.subnets, []);
  });

  it('takes either mode alone and stateful DHCPv6 on any prefix, and keeps DHCP on while a mode is set', async () => {
    for (const body of [
      { cidr: 'fd00:20::/64', ipv6_address_mode: 'slaac' }, { cidr: 'fd00:21::/64', ipv6_ra_mode: 'dhcpv6-stateless' },
      { cidr: 'fd00:22::/80', ipv6_ra_mode: 'dhcpv6-stateful', ipv6_address_mode: 'dhcpv6-stateful' },
    ]) assert.equal((await post(body)).status, 201, JSON.stringify(body));
    const stateful = (await n.call('GET', `/v2.0/subnets?cidr=fd00:22::/80`, { token: n.as.alice.token })).body.subnets[0];
    const off = await n.call('PUT', `/v2.0/subnets/${stateful.id}`, { token: n.as.alice.token, body: { subnet: { enable_dhcp: false } } });
    assert.equal(off.status, 400);
    assert.match(off.body.NeutronError.message, /Cannot disable enable_dhcp with ipv6 attributes set/);
    assert.equal((await n.call('GET', `/v2.0/subnets/${stateful.id}`, { token: n.as.alice.token })).body.subnet.enable_dhcp, true);
  });

  it('serves IPv4 and DHCPv6 (stateful, stateless or mode-less) subnets with DHCP on, never SLAAC ones', () => {
    const v6 = (ipv6_address_mode: string | null, ipv6_ra_mode: string | null, enable_dhcp = true) => ({ ip_version: 6, enable_dhcp, ipv6_address_mode, ipv6_ra_mode });
    assert.equal(servesDhcp({ ip_version: 4, enable_dhcp: true, ipv6_address_mode: null, ipv6_ra_mode: null }), true);
    assert.equal(servesDhcp({ ip_version: 4, enable_dhcp: false, ipv6_address_mode: null, ipv6_ra_mode: null }), false);
    assert.equal(servesDhcp(v6('dhcpv6-stateful', 'dhcpv6-stateful')), true);
    assert.equal(servesDhcp(v6('dhcpv6-stateless', null)), true);
    assert.equal(servesDhcp(v6(null, null)), true);
    assert.equal(servesDhcp(v6(null, null, false)), false);
    assert.equal(servesDhcp(v6('slaac', 'slaac')), false);
    assert.equal(servesDhcp(v6(null, 'slaac')), false);
  });
});
