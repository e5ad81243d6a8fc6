// Networking as the openstack CLI (python3-openstackclient) sees it, against stratus up with the real Identity: the
// catalog entry and version discovery, then networks, subnets with pools, ports with fixed IPs, a router with an
// external gateway and an interface, a floating IP on a port, a security group with an SSH rule, and quotas; stateless
// security groups and a router's extra routes.
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { cliSkipReason, useCloud } from './harness.ts';

type Row = Record<string, unknown>;

describe('networking through the openstack CLI', { skip: cliSkipReason() }, () => {
  const cloud = useCloud();

  const json = <T = Row>(args: string[]): Promise<T> => cloud().openstackJson<T>(args);

  it('creates, lists, shows and deletes networks with subnets and ports', async () => {
    const net = await json(['network', 'create', 'cli-net']);
    assert.equal(net.name, 'cli-net');
    assert.equal(net.status, 'ACTIVE');
    assert.equal(net.provider_network_type ?? net['provider:network_type'], 'vxlan');
    const subnet = await json(['subnet', 'create', '--network', 'cli-net', '--subnet-range', '10.10.0.0/24',
      '--allocation-pool', 'start=10.10.0.100,end=10.10.0.150', 'cli-subnet']);
    assert.equal(subnet.cidr, '10.10.0.0/24');
    assert.equal(subnet.gateway_ip, '10.10.0.1');
    assert.match(JSON.stringify(subnet.allocation_pools), /10\.10\.0\.100.*10\.10\.0\.150/);
    const subnets = await json<Row[]>(['subnet', 'list']);
    assert.ok(subnets.some((s) => s.Name === 'cli-subnet' && s.Subnet === '10.10.0.0/24'));
    const port = await json(['port', 'create', '--network', 'cli-net', '--fixed-ip', 'subnet=cli-subnet,ip-address=10.10.0.120', 'cli-port']);
    assert.match(JSON.stringify(port.fixed_ips), /10\.10\.0\.120/);
    assert.match(String(port.mac_address), /^fa:16:3e:/);
    const networks = await json<Row[]>(['network', 'list']);
    const listed = networks.find((x) => x.Name === 'cli-net')!;
    assert.match(JSON.stringify(listed.Subnets), new RegExp(String(subnet.id)));
    const shown = await json(['network', 'show', 'cli-net']);
    assert.equal(shown.id, net.id);
    await cloud().fails(['network', 'delete', 'cli-net'], /ports still in use|NetworkInUse|in use/);
    await cloud().ok(['port', 'delete', 'cli-port']);
    await cloud().ok(['network', 'delete', 'cli-net']);
  });

  it('routes a private subnet to an external network and attaches a floating IP to a port', async () => {
    await cloud().ok(['network', 'create', '--external', 'public']);
    await cloud().ok(['subnet', 'create', '--network', 'public', '--subnet-range', '172.24.4.0/24', '--no-dhcp', 'public-subnet']);
    await cloud().ok(['network', 'create', 'private']);
    await cloud().ok(['subnet', 'create', '--network', 'private', '--subnet-range', '10.20.0.0/24', 'private-subnet']);
    await cloud().ok(['router', 'create', 'r1']);
    await cloud().ok(['router', 'set', '--external-gateway', 'public', 'r1']);
    await cloud().ok(['router', 'add', 'subnet', 'r1', 'private-subnet']);
    const router = await json(['router', 'show', 'r1']);
    assert.match(JSON.stringify(router.external_gateway_info), /172\.24\.4\./);
    const port = await json(['port', 'create', '--network', 'private', 'vm-port']);
    const fip = await json(['floating', 'ip', 'create', 'public']);
    assert.match(String(fip.floating_ip_address), /^172\.24\.4\./);
    await cloud().ok(['floating', 'ip', 'set', '--port', String(port.id), String(fip.floating_ip_address)]);
    const associated = await json(['floating', 'ip', 'show', String(fip.id)]);
    assert.equal(associated.port_id, port.id);
    assert.equal(associated.router_id, router.id);
  });

  it('creates a security group with an SSH rule and shows network quotas', async () => {
    const sg = await json(['security', 'group', 'create', 'ssh']);
    const rule = await json(['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'ssh']);
    assert.equal(rule.protocol, 'tcp');
    assert.equal(rule.port_range_min, 22);
    assert.equal(rule.security_group_id, sg.id);
    await cloud().fails(['security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', 'ssh'], /already exists/);
    const quota = await json(['quota', 'show']);
    assert.equal(quota.networks, 100);
    assert.equal(quota.ports, 500);
    assert.equal(quota['secgroup-rules'], 100);
  });

  // The next two reuse the network `private` and router `r1` of the routing test above (each CLI call costs seconds).
  it('creates a stateless security group, keeps its kind while a port uses it, and refuses mixing kinds on a port', async () => {
    const sg = await json(['security', 'group', 'create', '--stateless', 'sl-cli']);
    assert.equal(sg.stateful, false);
    await cloud().ok(['security', 'group', 'create', 'sf-cli']);
    await cloud().fails(['port', 'create', '--network', 'private', '--security-group', 'sl-cli', '--security-group', 'sf-cli', 'sl-mixed'], /both stateful and stateless/);
    await cloud().ok(['port', 'create', '--network', 'private', '--security-group', 'sl-cli', 'sl-port']);
    await cloud().fails(['security', 'group', 'set', '--stateful', 'sl-cli'], /in use/);
  });

  it('sets, adds and removes a router\'s extra routes, refusing a nexthop off its subnets', async () => {
    await cloud().ok(['router', 'set', '--route', 'destination=192.168.40.0/24,gateway=10.20.0.10', 'r1']);
    await cloud().ok(['router', 'add', 'route', '--route', 'destination=192.168.41.0/24,gateway=10.20.0.11', 'r1']);
    const routes = (await json<{ routes: { destination: string; nexthop: string }[] }>(['router', 'show', 'r1'])).routes;
    assert.deepEqual(routes.map((r) => `${r.destination} via ${r.nexthop}`).sort(), ['192.168.40.0/24 via 10.20.0.10', '192.168.41.0/24 via 10.20.0.11']);
    await cloud().fails(['router', 'set', '--route', 'destination=192.168.42.0/24,gateway=10.99.0.1', 'r1'], /not connected with router/);
    await cloud().ok(['router', 'remove', 'route', '--route', 'destination=192.168.41.0/24,gateway=10.20.0.11', 'r1']);
    await cloud().ok(['router', 'unset', '--route', 'destination=192.168.40.0/24,gateway=10.20.0.10', 'r1']);
    assert.deepEqual((await json(['router', 'show', 'r1'])).routes, []);
  });

  it('logged no unexpected server error while serving the CLI', () => {
    const lines = readFileSync(cloud().logFile, 'utf8').split('\n').filter((l) => l.includes('"service":"network"') && l.includes('unexpected error'));
    assert.deepEqual(lines, []);
  });
});
