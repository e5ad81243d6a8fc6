// DHCPv6 and routed IPv6 on the real host (root, iproute2, nftables, dnsmasq, busybox, dhclient): an external network
// with an IPv6 subnet whose gateway is the host's external leg, a tenant network with a dhcpv6-stateful subnet, and a
// router between them. A stand-in VM hears the router advertise the prefix as managed (no SLAAC address appears),
// gets exactly its port's address and the subnet's DNS server from the network's DHCP server with a real DHCPv6
// client, and is reached from the host through the router's IPv6 gateway leg (routed, not NATed); an IPv6 extra
// route to a network behind the VM works while set. On a dhcpv6-stateless network a second VM's information request
// is answered with the subnet's DNS server. Skips (or with STRATUS_REQUIRE_SERVERS=1 fails) where the host
// cannot do this.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../../../api/test-network.ts';
import type { TestNetwork } from '../../../api/test-network.ts';
import { startNetworkAgent } from '../../network-agent.ts';
import type { NetworkAgent } from '../../network-agent.ts';
import { bridgeName, routerNamespace } from '../../../domain/device-names.ts';
import type { LinuxBridgeDriver } from './linuxbridge-driver.ts';
import { createHostRunner } from './host-runner.ts';
import { lockHostDataPlane } from './test-host-lock.ts';
import { until } from '#lib/test-wait.ts';
import { dataPlaneSkipReason, quietly, testLinuxBridgeDriver } from './test-data-plane.ts';

/** Data-plane steps can take a while on a loaded machine; commands fail until their object exists. */
const WAIT = { timeoutMs: 20_000, everyMs: 200, retryErrors: true };

const skip = dataPlaneSkipReason('DHCPv6 on the linuxbridge data plane', { routers: true, tools: { busybox: 'busybox-static', dhclient: 'isc-dhcp-client' } });
const sh = createHostRunner();

describe('DHCPv6 and routed IPv6 on the linuxbridge data plane', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const vmNs = `stratus-test-d6vm-${tag}`;
  const vmVeth = `sdv${tag}`;
  const vm2Ns = `stratus-test-d6vs-${tag}`;
  const vm2Veth = `sds${tag}`;
  const physnet = `ext-${tag}`;
  const hostLeg = { hostInterface: `sd${tag}`, physicalInterface: `sdp${tag}` };
  const ext4 = `100.${64 + randomInt(64)}.${randomInt(256)}`;
  // A /48 of its own (groups without leading zeros, as `ip` prints them): :ff:: external, :1:: tenant, :99:: behind the VM.
  const pfx = `fd${randomBytes(1).toString('hex')}:${randomInt(0x1000, 0x10000).toString(16)}:${randomInt(0x1000, 0x10000).toString(16)}`;
  const vniBase = 1_000_000 + Math.floor(Math.random() * 15_000_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-d6-'));
  const inVm = (argv: string[]) => sh.run(['ip', 'netns', 'exec', vmNs, ...argv]);
  let n: TestNetwork;
  let driver: LinuxBridgeDriver;
  let agent: NetworkAgent | undefined;
  const routers: string[] = [];
  const networks: string[] = [];

  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockHostDataPlane();
    n = await startNetwork({ data_plane_driver: 'linuxbridge', vni_ranges: `${vniBase}:${vniBase + 10}` });
    driver = testLinuxBridgeDriver(stateDir, { externalHostLeg: { ...hostLeg, cidr: `${ext4}.1/24`, ipv6Cidr: `${pfx}:ff::1/64`, physicalNetwork: physnet } });
    agent = await startNetworkAgent({ bus: n.bus, host: 'd6-test', driver, dhcp: true, l3: true, log: silentLogger() });
    await agent.resynced;
  });
  after(async () => {
    await agent?.stop();
    for (const pidFile of ['dhclient.pid', 'dhclient-s.pid'].map((f) => join(stateDir, f))) {
      if (existsSync(pidFile)) await quietly(['kill', readFileSync(pidFile, 'utf8').trim()]);
    }
    for (const [ns, veth] of [[vmNs, vmVeth], [vm2Ns, vm2Veth]]) {
      await quietly(['ip', 'netns', 'del', ns]);
      await quietly(['ip', 'link', 'del', veth]);
    }
    for (const id of routers) await driver?.deleteRouter(id).catch(() => undefined);
    for (const id of networks) await driver?.deleteNetwork(id).catch(() => undefined);
    await driver?.removeUnclaimed({ portIds: [], networkIds: [] }).catch(() => undefined);
    // The host's route to the tenant prefixes goes with the leg.
    await quietly(['ip', 'link', 'del', hostLeg.hostInterface]);
    await n?.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock?.();
  });

  it('leases a VM its stateful address, routes the host to it through the IPv6 gateway, installs IPv6 extra routes, answers stateless requests', async () => {
    const admin = n.as.admin;
    const token = admin.token;
    const get = async (path: string) => (await n.call('GET', path, { token })).body;

    const extNet = await n.create(admin, 'networks', 'network', { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': physnet });
    networks.push(extNet.id);
    await n.create(admin, 'subnets', 'subnet', { network_id: extNet.id, ip_version: 4, cidr: `${ext4}.0/24`, gateway_ip: `${ext4}.1`, enable_dhcp: false });
    await n.create(admin, 'subnets', 'subnet', { network_id: extNet.id, ip_version: 6, cidr: `${pfx}:ff::/64`, gateway_ip: `${pfx}:ff::1`, enable_dhcp: false });
    const net = await n.create(admin, 'networks', 'network', { name: 'stateful' });
    networks.push(net.id);
    const stateful = { ipv6_ra_mode: 'dhcpv6-stateful', ipv6_address_mode: 'dhcpv6-stateful' };
    const subnet = await n.create(admin, 'subnets', 'subnet', { network_id: net.id, ip_version: 6, cidr: `${pfx}:1::/64`, dns_nameservers: [`${pfx}:1::53`], ...stateful });
    const router = await n.create(admin, 'routers', 'router', { name: 'r6', external_gateway_info: { network_id: extNet.id } });
    routers.push(router.id);
    const routerV6 = (router.external_gateway_info.external_fixed_ips as { ip_address: string }[]).find((f) => f.ip_address.includes(':'))?.ip_address;
    assert.ok(routerV6, 'the gateway leg has an address on the external IPv6 subnet');
    const added = await n.call('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { token, body: { subnet_id: subnet.id } });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await until('the interface leg ACTIVE', async () => (await get(`/v2.0/ports/${added.body.port_id}`)).port.status === 'ACTIVE', WAIT);
    const readEnv = (file: string) => Object.fromEntries(readFileSync(join(stateDir, file), 'utf8').split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const inRouter = (argv: string[]) => sh.run(['ip', 'netns', 'exec', routerNamespace(router.id), ...argv]);
    await until('the router\'s IPv6 default route via the external gateway', async () => (await inRouter(['ip', '-6', 'route', 'show', 'default'])).includes(`via ${pfx}:ff::1`), WAIT);
    await until('the network\'s DHCP port ACTIVE', async () => (await get(`/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`)).ports[0]?.status === 'ACTIVE', WAIT);

    // The stand-in VM (an unbound port, so unfiltered); it hears the router's advertisements once its link is up.
    const port = await n.create(admin, 'ports', 'port', { network_id: net.id, port_security_enabled: false });
    const vmIp = port.fixed_ips[0].ip_address as string;
    await sh.run(['ip', 'netns', 'add', vmNs]);
    await sh.run(['ip', 'link', 'add', vmVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vmNs]);
    await sh.run(['ip', 'link', 'set', 'dev', vmVeth, 'master', bridgeName(net.id), 'up']);
    await inVm(['ip', 'link', 'set', 'dev', 'lo', 'up']);
    // No duplicate address detection to wait for before the DHCPv6 client can bind its link-local address.
    await inVm(['sysctl', '-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0']);
    await inVm(['ip', 'link', 'set', 'dev', 'eth0', 'address', port.mac_address, 'up']);
    await until('the VM\'s default route from the router\'s advertisement', async () => (await inVm(['ip', '-6', 'route', 'show', 'default'])).includes('proto ra'), WAIT);
    assert.equal((await inVm(['ip', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'global'])).trim(), '', 'a managed prefix is not autoconfigured');

    // A real DHCPv6 client; its script only records what it was given (the VM applies it below, as dhclient-script would).
    const script = join(stateDir, 'dhclient-script');
    writeFileSync(script, `#!/bin/sh\nenv > "${stateDir}/dhclient.$reason"\n`);
    chmodSync(script, 0o755);
    await inVm(['timeout', '25', 'dhclient', '-6', '-1', '-sf', script, '-pf', join(stateDir, 'dhclient.pid'), '-lf', join(stateDir, 'dhclient.leases'), 'eth0']);
    const lease = readEnv('dhclient.BOUND6');
    assert.equal(lease.new_ip6_address, vmIp, 'the port\'s fixed address');
    assert.equal(lease.new_dhcp6_name_servers, `${pfx}:1::53`, 'the subnet\'s DNS server');
    await inVm(['ip', 'addr', 'add', `${vmIp}/128`, 'dev', 'eth0']);

    // The host reaches the VM through the router's gateway leg (devstack's route to the tenant prefixes), unNATed.
    await sh.run(['ip', '-6', 'route', 'replace', `${pfx}::/48`, 'via', routerV6!, 'dev', hostLeg.hostInterface]);
    const hostPings = async (ip: string) => {
      try { await sh.run(['busybox', 'ping', '-6', '-c', '1', '-W', '1', ip]); return true; } catch { return false; }
    };
    assert.ok(await until('the host to ping the VM through the router', () => hostPings(vmIp), WAIT));

    // An IPv6 extra route to a network behind the VM (an address on its loopback), via the VM.
    await inVm(['ip', 'addr', 'add', `${pfx}:99::1/64`, 'dev', 'lo']);
    assert.equal(await hostPings(`${pfx}:99::1`), false, 'no route to the network behind the VM yet');
    const set = await n.call('PUT', `/v2.0/routers/${router.id}`, { token, body: { router: { routes: [{ destination: `${pfx}:99::/64`, nexthop: vmIp }] } } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.ok(await until('the host to reach the network behind the VM', () => hostPings(`${pfx}:99::1`), WAIT));
    const cleared = await n.call('PUT', `/v2.0/routers/${router.id}`, { token, body: { router: { routes: [] } } });
    assert.equal(cleared.status, 200);
    await until('the IPv6 extra route to leave the namespace', async () => (await inRouter(['ip', '-6', 'route', 'show', `${pfx}:99::/64`])).trim() === '', WAIT);

    // Stateless: no address from DHCPv6 (the hosts file has none for the subnet), but DNS for an information request.
    const statelessNet = await n.create(admin, 'networks', 'network', { name: 'stateless' });
    networks.push(statelessNet.id);
    await n.create(admin, 'subnets', 'subnet', {
      network_id: statelessNet.id, ip_version: 6, cidr: `${pfx}:2::/64`, dns_nameservers: [`${pfx}:2::53`], ipv6_ra_mode: 'dhcpv6-stateless', ipv6_address_mode: 'dhcpv6-stateless',
    });
    await until('the stateless network\'s DHCP port ACTIVE', async () => (await get(`/v2.0/ports?network_id=${statelessNet.id}&device_owner=network:dhcp`)).ports[0]?.status === 'ACTIVE', WAIT);
    const port2 = await n.create(admin, 'ports', 'port', { network_id: statelessNet.id, port_security_enabled: false });
    await sh.run(['ip', 'netns', 'add', vm2Ns]);
    await sh.run(['ip', 'link', 'add', vm2Veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm2Ns]);
    await sh.run(['ip', 'link', 'set', 'dev', vm2Veth, 'master', bridgeName(statelessNet.id), 'up']);
    await sh.run(['ip', 'netns', 'exec', vm2Ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0']);
    await sh.run(['ip', 'netns', 'exec', vm2Ns, 'ip', 'link', 'set', 'dev', 'eth0', 'address', port2.mac_address, 'up']);
    writeFileSync(script, `#!/bin/sh\nenv > "${stateDir}/dhclient-s.$reason"\n`);
    await sh.run(['ip', 'netns', 'exec', vm2Ns, 'timeout', '25', 'dhclient', '-6', '-S', '-1', '-sf', script, '-pf', join(stateDir, 'dhclient-s.pid'), '-lf', join(stateDir, 'dhclient-s.leases'), 'eth0']);
    const answered = readdirSync(stateDir).filter((f) => f.startsWith('dhclient-s.') && /[A-Z]/.test(f)).map(readEnv);
    assert.ok(answered.some((e) => e.new_dhcp6_name_servers === `${pfx}:2::53`), 'the stateless subnet\'s DNS server');
    assert.ok(answered.every((e) => !e.new_ip6_address), 'no address from DHCPv6');
  });
});
