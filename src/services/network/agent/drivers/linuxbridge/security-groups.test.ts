// Security groups enforced on the real host (root, iproute2, nftables, br_netfilter, busybox): four stand-in VMs (a
// namespace each, on a veth named as the port's tap) on one network, wired by the agent through the linuxbridge
// driver. Members of one default group reach each other and nothing else reaches them; a remote group follows its
// membership; spoofed addresses and MACs are dropped; a port without port security passes everything; rules added and
// removed through the API take effect, statefully; an agent restart keeps the filters and deleting the ports removes
// them. Skips (or with STRATUS_REQUIRE_SERVERS=1 fails) where the host cannot do this.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { silentLogger } from '#lib/log.ts';
import { startNetwork } from '../../../api/test-network.ts';
import type { TestNetwork } from '../../../api/test-network.ts';
import { startNetworkAgent } from '../../network-agent.ts';
import type { NetworkAgent } from '../../network-agent.ts';
import { tapName } from '../../../domain/device-names.ts';
import { createHostRunner } from './host-runner.ts';
import { lockHostDataPlane } from './test-host-lock.ts';
import { until } from '#lib/test-wait.ts';
import { dataPlaneSkipReason, quietly, testLinuxBridgeDriver } from './test-data-plane.ts';

/** Data-plane steps can take a while on a loaded machine; commands fail until their object exists. */
const WAIT = { timeoutMs: 15_000, everyMs: 100, retryErrors: true };

const skip = dataPlaneSkipReason('security groups on the linuxbridge data plane', { tools: { busybox: 'busybox-static' } });
const sh = createHostRunner();
/** For a connection a filter may drop: busybox wget's own -T crashes in Debian 12's busybox. */
const briefly = createHostRunner({ timeoutMs: 3_000 });

const filterTables = async () => sh.run(['nft', 'list', 'tables']);
const inetTable = async () => sh.run(['nft', 'list', 'table', 'inet', 'stratus']);
/** Whether nft's listing names this IPv4 address (not just a longer one starting with it). */
const mentions = (text: string, ip: string) => new RegExp(`(^|[^\\d.])${ip.replaceAll('.', '\\.')}([^\\d.]|$)`).test(text);

describe('security groups on the linuxbridge data plane', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const prefix = `10.${randomInt(100, 250)}.${randomInt(256)}`;
  const vniBase = 1_000_000 + Math.floor(Math.random() * 15_000_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-sg-'));
  const vms = ['a', 'b', 'c', 'd'] as const;
  type Vm = typeof vms[number];
  const ns = (vm: Vm) => `stratus-test-sg${vm}-${tag}`;
  const inVm = (vm: Vm, argv: string[]) => sh.run(['ip', 'netns', 'exec', ns(vm), ...argv]);
  const pings = async (from: Vm, to: string, source?: string) => {
    try {
      await inVm(from, ['busybox', 'ping', '-c', '1', '-W', '1', ...(source ? ['-I', source] : []), to]);
      return true;
    } catch {
      return false;
    }
  };
  let n: TestNetwork;
  let agent: NetworkAgent | undefined;
  let httpd: ChildProcess | undefined;
  const taps: string[] = [];
  const newDriver = () => testLinuxBridgeDriver(stateDir);
  let driver = newDriver();
  const startAgent = async () => {
    agent = await startNetworkAgent({ bus: n.bus, host: 'sg-test', driver, dhcp: false, log: silentLogger() });
    await agent.resynced;
  };

  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockHostDataPlane();
    n = await startNetwork({ data_plane_driver: 'linuxbridge', vni_ranges: `${vniBase}:${vniBase + 10}` });
    await startAgent();
  });
  after(async () => {
    httpd?.kill('SIGKILL');
    await agent?.stop();
    for (const vm of vms) await quietly(['ip', 'netns', 'del', ns(vm)]);
    for (const tap of taps) await quietly(['ip', 'link', 'del', tap]);
    // Whatever a failed run left: a new driver with nothing claimed removes the filters.
    await newDriver().removeUnclaimed({ portIds: [], networkIds: [] }).catch(() => undefined);
    await n?.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock?.();
  });

  it('enforces groups, remote groups, anti-spoofing and port security, follows changes, survives a restart and cleans up', async () => {
    const alice = n.as.alice;
    const token = alice.token;
    const put = (id: string, port: Record<string, unknown>, as = token) => n.call('PUT', `/v2.0/ports/${id}`, { token: as, body: { port } });
    const net = await n.create(alice, 'networks', 'network', { name: 'sg' });
    await n.create(alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: `${prefix}.0/24`, enable_dhcp: false });
    const web = await n.create(alice, 'security-groups', 'security_group', { name: 'web' });
    const ports = {
      a: await n.create(alice, 'ports', 'port', { network_id: net.id }),
      b: await n.create(alice, 'ports', 'port', { network_id: net.id }),
      c: await n.create(alice, 'ports', 'port', { network_id: net.id, port_security_enabled: false }),
      d: await n.create(alice, 'ports', 'port', { network_id: net.id, security_groups: [web.id] }),
    };
    const ipOf = (vm: Vm) => ports[vm].fixed_ips[0].ip_address as string;
    const defaultGroup = ports.a.security_groups[0] as string;

    // Each stand-in VM: a namespace whose eth0 is the peer of a veth named as its port's tap (what Compute plugs).
    for (const vm of vms) {
      const tap = tapName(ports[vm].id);
      taps.push(tap);
      await sh.run(['ip', 'netns', 'add', ns(vm)]);
      await sh.run(['ip', 'link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(vm)]);
      await inVm(vm, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
      await inVm(vm, ['ip', 'link', 'set', 'dev', 'eth0', 'address', ports[vm].mac_address, 'up']);
      await inVm(vm, ['ip', 'addr', 'add', `${ipOf(vm)}/24`, 'dev', 'eth0']);
      assert.equal((await put(ports[vm].id, { 'binding:host_id': 'sg-test' }, n.as.admin.token)).status, 200);
    }
    for (const vm of vms) {
      await until(`port ${vm} ACTIVE`, async () => (await n.call('GET', `/v2.0/ports/${ports[vm].id}`, { token })).body.port.status === 'ACTIVE', WAIT);
    }

    // The default group admits its own members; nothing else gets in (web has no ingress rule at all).
    assert.ok(await until('a to ping b', () => pings('a', ipOf('b')), WAIT));
    assert.ok(await pings('b', ipOf('a')), 'b pings a');
    assert.equal(await pings('d', ipOf('a')), false, 'd is not in a\'s group');
    assert.equal(await pings('a', ipOf('d')), false, 'web admits nothing');
    // Port security off: no filter on c's side.
    assert.ok(await pings('a', ipOf('c')), 'a reaches c, which filters nothing');

    // Anti-spoofing: another source address, or another MAC, gets nowhere.
    const spoofed = `${prefix}.250`;
    await inVm('a', ['ip', 'addr', 'add', `${spoofed}/24`, 'dev', 'eth0']);
    assert.equal(await pings('a', ipOf('b'), spoofed), false, 'a spoofed source address is dropped');
    await inVm('a', ['ip', 'addr', 'del', `${spoofed}/24`, 'dev', 'eth0']);
    await inVm('a', ['ip', 'link', 'set', 'dev', 'eth0', 'address', 'fa:16:3e:de:ad:01']);
    await inVm('a', ['ip', 'neigh', 'flush', 'dev', 'eth0']);
    assert.equal(await pings('a', ipOf('b')), false, 'a spoofed MAC is dropped');
    await inVm('a', ['ip', 'link', 'set', 'dev', 'eth0', 'address', ports.a.mac_address]);
    assert.ok(await until('a to ping b with its own MAC again', () => pings('a', ipOf('b')), WAIT));

    // remote_group_id follows membership: d joining the default group gets in, leaving it shuts it out again.
    assert.equal((await put(ports.d.id, { security_groups: [web.id, defaultGroup] })).status, 200);
    assert.ok(await until('d, now a member, to ping a', () => pings('d', ipOf('a')), WAIT));
    assert.equal((await put(ports.d.id, { security_groups: [web.id] })).status, 200);
    await until('d to leave the member set', async () => !mentions(await inetTable(), ipOf('d')), WAIT);
    assert.equal(await pings('d', ipOf('a')), false, 'd is no member any more');

    // A rule added through the API takes effect: ICMP from anywhere into the default group. Statefully: a's replies
    // reach d, whose group admits nothing. c has no anti-spoofing, so even its spoofed source gets through.
    const icmp = await n.create(alice, 'security-group-rules', 'security_group_rule', { security_group_id: defaultGroup, direction: 'ingress', protocol: 'icmp' });
    assert.ok(await until('the ICMP rule to let d ping a', () => pings('d', ipOf('a')), WAIT));
    await inVm('c', ['ip', 'addr', 'add', `${spoofed}/24`, 'dev', 'eth0']);
    assert.ok(await pings('c', ipOf('a'), spoofed), 'a port without port security may use any source');
    await inVm('c', ['ip', 'addr', 'del', `${spoofed}/24`, 'dev', 'eth0']);
    // ...and removed, it stops new traffic.
    assert.equal((await n.call('DELETE', `/v2.0/security-group-rules/${icmp.id}`, { token })).status, 204);
    await until('the ICMP rule to go', async () => !(await inetTable()).includes('l4proto icmp'), WAIT);
    assert.equal(await pings('d', ipOf('a')), false, 'without the rule d cannot ping a');

    // A TCP port rule: a web server on d is reachable once web admits TCP 8080.
    const root = join(stateDir, 'www');
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), 'hello from d\n');
    httpd = spawn('ip', ['netns', 'exec', ns('d'), 'busybox', 'httpd', '-f', '-p', '8080', '-h', root], { stdio: 'ignore' });
    const fetchesFromA = async () => {
      try {
        return (await briefly.run(['ip', 'netns', 'exec', ns('a'), 'busybox', 'wget', '-q', '-O', '-', `http://${ipOf('d')}:8080/index.html`])).includes('hello from d');
      } catch {
        return false;
      }
    };
    assert.equal(await fetchesFromA(), false, 'web admits no TCP yet');
    await n.create(alice, 'security-group-rules', 'security_group_rule', { security_group_id: web.id, direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080 });
    assert.ok(await until('the TCP rule to let a fetch from d', fetchesFromA, WAIT));

    // A restart: a new agent and driver resync; the filters stay what they were.
    await agent!.stop();
    driver = newDriver();
    await startAgent();
    await agent!.settled();
    assert.ok(await pings('a', ipOf('b')), 'a still pings b');
    assert.equal(await pings('d', ipOf('a')), false, 'd is still shut out');
    assert.ok(await fetchesFromA(), 'a still reaches d\'s web server');

    // Deleting the ports takes their filters along; with none left, no Stratus table remains.
    httpd.kill('SIGKILL');
    for (const vm of vms) assert.equal((await n.call('DELETE', `/v2.0/ports/${ports[vm].id}`, { token })).status, 204);
    await until('the filter tables to go', async () => !/table (bridge|inet) stratus/.test(await filterTables()), WAIT);
    assert.equal((await n.call('DELETE', `/v2.0/networks/${net.id}`, { token })).status, 204);
  });
});
