// Security groups without conntrack, and conntrack entries that go with their rules, on the real host (root,
// iproute2, nftables, br_netfilter, conntrack, busybox): two stand-in VMs on one network, wired by the agent through
// the linuxbridge driver. A running ping stops as soon as the rule that admitted it is deleted; a stateless group
// answers only what its rules allow in both directions, where a stateful one lets replies back by itself.
// Skips (or with STRATUS_REQUIRE_SERVERS=1 fails) where the host cannot do this.
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

const skip = dataPlaneSkipReason('stateless groups and conntrack deletion', { tools: { busybox: 'busybox-static', conntrack: 'conntrack' } });
const sh = createHostRunner();
/** For a connection a filter may drop: busybox wget's own -T crashes in Debian 12's busybox. */
const briefly = createHostRunner({ timeoutMs: 3_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stateless security groups and conntrack deletion on the linuxbridge data plane', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const prefix = `10.${randomInt(100, 250)}.${randomInt(256)}`;
  const vniBase = 1_000_000 + Math.floor(Math.random() * 15_000_000);
  const stateDir = mkdtempSync(join(tmpdir(), 'stratus-slct-'));
  const vms = ['a', 'b'] as const;
  type Vm = typeof vms[number];
  const ns = (vm: Vm) => `stratus-test-slct${vm}-${tag}`;
  const inVm = (vm: Vm, argv: string[]) => sh.run(['ip', 'netns', 'exec', ns(vm), ...argv]);
  let n: TestNetwork;
  let agent: NetworkAgent | undefined;
  const children: ChildProcess[] = [];
  const taps: string[] = [];
  const newDriver = () => testLinuxBridgeDriver(stateDir);

  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockHostDataPlane();
    n = await startNetwork({ data_plane_driver: 'linuxbridge', vni_ranges: `${vniBase}:${vniBase + 10}` });
    agent = await startNetworkAgent({ bus: n.bus, host: 'slct-test', driver: newDriver(), dhcp: false, log: silentLogger() });
    await agent.resynced;
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await agent?.stop();
    for (const vm of vms) await quietly(['ip', 'netns', 'del', ns(vm)]);
    for (const tap of taps) await quietly(['ip', 'link', 'del', tap]);
    await newDriver().removeUnclaimed({ portIds: [], networkIds: [] }).catch(() => undefined);
    await n?.close();
    rmSync(stateDir, { recursive: true, force: true });
    unlock?.();
  });

  it('stops an established ping when its rule goes, and filters a stateless group\'s replies by its rules', async () => {
    const alice = n.as.alice;
    const token = alice.token;
    const inetTable = async () => sh.run(['nft', 'list', 'table', 'inet', 'stratus']);
    const rule = (body: Record<string, unknown>) => n.create(alice, 'security-group-rules', 'security_group_rule', body);
    const net = await n.create(alice, 'networks', 'network', { name: 'slct' });
    await n.create(alice, 'subnets', 'subnet', { network_id: net.id, ip_version: 4, cidr: `${prefix}.0/24`, enable_dhcp: false });
    const pinged = await n.create(alice, 'security-groups', 'security_group', { name: 'pinged' });
    const ports = {
      a: await n.create(alice, 'ports', 'port', { network_id: net.id, security_groups: [pinged.id] }),
      b: await n.create(alice, 'ports', 'port', { network_id: net.id, security_groups: [pinged.id] }),
    };
    const ipOf = (vm: Vm) => ports[vm].fixed_ips[0].ip_address as string;
    for (const vm of vms) {
      const tap = tapName(ports[vm].id);
      taps.push(tap);
      await sh.run(['ip', 'netns', 'add', ns(vm)]);
      await sh.run(['ip', 'link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(vm)]);
      await inVm(vm, ['ip', 'link', 'set', 'dev', 'lo', 'up']);
      await inVm(vm, ['ip', 'link', 'set', 'dev', 'eth0', 'address', ports[vm].mac_address, 'up']);
      await inVm(vm, ['ip', 'addr', 'add', `${ipOf(vm)}/24`, 'dev', 'eth0']);
      const bound = await n.call('PUT', `/v2.0/ports/${ports[vm].id}`, { token: n.as.admin.token, body: { port: { 'binding:host_id': 'slct-test' } } });
      assert.equal(bound.status, 200);
    }
    for (const vm of vms) {
      await until(`port ${vm} ACTIVE`, async () => (await n.call('GET', `/v2.0/ports/${ports[vm].id}`, { token })).body.port.status === 'ACTIVE', WAIT);
    }

    // One long ping (one ICMP id, so one conntrack entry) from a to b, admitted by an ICMP rule.
    const icmp = await rule({ security_group_id: pinged.id, direction: 'ingress', protocol: 'icmp' });
    let replies = 0;
    const ping = spawn('ip', ['netns', 'exec', ns('a'), 'busybox', 'ping', '-i', '0.2', ipOf('b')], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(ping);
    ping.stdout.setEncoding('utf8').on('data', (chunk: string) => { replies += chunk.split('\n').filter((l) => l.includes('bytes from')).length; });
    await until('the ping to be answered', async () => replies >= 3, WAIT);
    assert.ok((await sh.run(['conntrack', '-L', '-p', 'icmp', '-d', ipOf('b')]).catch(() => '')).includes(ipOf('a')), 'the ping has a conntrack entry');

    // Deleting the rule ends it: its entry goes, and the next request meets the filter without the rule.
    assert.equal((await n.call('DELETE', `/v2.0/security-group-rules/${icmp.id}`, { token })).status, 204);
    await until('the ICMP rule to go', async () => !(await inetTable()).includes('l4proto icmp'), WAIT);
    await sleep(600);
    const afterDelete = replies;
    await sleep(1_500);
    assert.equal(replies, afterDelete, 'no reply once the rule is gone');
    ping.kill('SIGKILL');

    // A web server on b, and a's fetches of it.
    const root = join(stateDir, 'www');
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), 'hello from b\n');
    children.push(spawn('ip', ['netns', 'exec', ns('b'), 'busybox', 'httpd', '-f', '-p', '8080', '-h', root], { stdio: 'ignore' }));
    const fetches = async () => {
      try {
        return (await briefly.run(['ip', 'netns', 'exec', ns('a'), 'busybox', 'wget', '-q', '-O', '-', `http://${ipOf('b')}:8080/index.html`])).includes('hello from b');
      } catch {
        return false;
      }
    };
    /** b's ingress chain as nft lists it. */
    const ingressOfB = async () => (await inetTable()).split(`chain ingress-${ports.b.id} {`)[1]?.split('\n\t}')[0] ?? '';
    const useGroup = async (group: string, stateful: boolean) => {
      assert.equal((await n.call('PUT', `/v2.0/ports/${ports.b.id}`, { token, body: { port: { security_groups: [group] } } })).status, 200);
      await until(`b's filter to use the ${stateful ? 'stateful' : 'stateless'} group`, async () => {
        const chain = await ingressOfB();
        return chain.includes('dport 8080') && chain.includes('ct state') === stateful;
      }, WAIT);
    };
    /** A group admitting TCP 8080 and sending nothing: no egress rule at all. */
    const webOnly = async (stateful: boolean) => {
      const g = await n.create(alice, 'security-groups', 'security_group', { name: stateful ? 'web' : 'web-stateless', stateful });
      for (const r of g.security_group_rules) assert.equal((await n.call('DELETE', `/v2.0/security-group-rules/${r.id}`, { token })).status, 204);
      await rule({ security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 8080, port_range_max: 8080 });
      return g;
    };

    // Stateful: conntrack lets b's replies out although b's group sends nothing.
    const web = await webOnly(true);
    await useGroup(web.id, true);
    assert.ok(await until('a to fetch from b through the stateful group', fetches, WAIT));

    // Stateless: the same rules no longer let b answer...
    const bare = await webOnly(false);
    await useGroup(bare.id, false);
    assert.equal(await fetches(), false, 'a stateless group does not let replies out by itself');
    // ...until an egress rule admits them too (to a's ephemeral ports).
    await rule({ security_group_id: bare.id, direction: 'egress', protocol: 'tcp', port_range_min: 1024, port_range_max: 65535 });
    assert.ok(await until('a to fetch from b once the stateless group admits the replies', fetches, WAIT));

    for (const vm of vms) assert.equal((await n.call('DELETE', `/v2.0/ports/${ports[vm].id}`, { token })).status, 204);
    await until('the filter tables to go', async () => !/table (bridge|inet) stratus/.test(await sh.run(['nft', 'list', 'tables'])), WAIT);
  });
});
