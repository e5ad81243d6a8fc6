// Applying port filters without touching the host (a recording runner): one `nft -f` per real change, none for a
// repeat, a port's filter dropped on unplug, a prune keeping only claimed ports (and clearing what a previous process
// left), and no filter without br_netfilter.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '#lib/log.ts';
import type { PortDetails } from '../../../domain/port-details.ts';
import type { HostRunner } from './host-runner.ts';
import { createPortFirewall } from './port-firewall.ts';

const net = { networkType: 'vxlan', physicalNetwork: null, segmentationId: 5, mtu: 1450 };
const port = (id: string, mac: string): PortDetails => ({
  portId: id, networkId: '5a0c8e4f-0000-4000-8000-000000000001', macAddress: mac, fixedIps: [{ subnetId: 's', ipAddress: '10.0.0.10' }],
  adminStateUp: true, deviceOwner: 'compute:nova', deviceId: 'vm', hostId: 'h', portSecurityEnabled: true, securityGroupIds: [], allowedAddressPairs: [], network: net,
});
const a = port('aaaaaaaa-1111-4111-8111-111111111111', 'fa:16:3e:00:00:0a');
const b = port('bbbbbbbb-2222-4222-8222-222222222222', 'fa:16:3e:00:00:0b');
const groups = { rules: {}, members: {} };

function recorder() {
  const history: string[][] = [];
  const scripts: string[] = [];
  const runner: HostRunner = {
    history,
    async run(argv) {
      history.push(argv);
      if (argv[0] === 'nft') scripts.push(readFileSync(argv[2], 'utf8'));
      return '';
    },
    async runWithInput(argv) { history.push(argv); return ''; },
    async ipJson() { return []; },
  };
  return { runner, history, scripts };
}

describe('port firewall', () => {
  it('applies a change once, drops an unplugged port\'s filter, and prunes to what is claimed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-fw-'));
    try {
      const { runner, scripts } = recorder();
      const fw = createPortFirewall({ runner, stateDir: dir, log: silentLogger(), brNetfilterLoaded: () => true });
      await fw.sync({ ports: [a, b], groups });
      await fw.sync({ ports: [b, a], groups });
      assert.equal(scripts.length, 1, 'the same filters are not applied twice');
      assert.ok(scripts[0].includes(`chain from-${a.portId}`) && scripts[0].includes(`chain from-${b.portId}`));
      assert.equal(readFileSync(join(dir, 'port-filters.nft'), 'utf8'), scripts[0], 'the last script is kept for operators');

      await fw.remove(a.portId);
      assert.equal(scripts.length, 2);
      assert.ok(!scripts[1].includes(a.portId) && scripts[1].includes(`chain from-${b.portId}`));
      await fw.remove('never-filtered');
      assert.equal(scripts.length, 2, 'removing a port without a filter changes nothing');

      await fw.prune(new Set());
      assert.equal(scripts.at(-1), 'table bridge stratus\ndelete table bridge stratus\ntable inet stratus\ndelete table inet stratus\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes the conntrack entries of a removed rule once the new filters are in place', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-fw-'));
    try {
      const { runner, history } = recorder();
      const fw = createPortFirewall({ runner, stateDir: dir, log: silentLogger(), brNetfilterLoaded: () => true });
      const g = '0b8f3c9e-2c55-4d7f-9d3e-6f4e2a1b0c9d';
      const icmp = { direction: 'ingress' as const, ethertype: 'IPv4' as const, protocol: 'icmp', portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupId: null };
      const member = { ...a, securityGroupIds: [g] };
      await fw.sync({ ports: [member], groups: { rules: { [g]: [icmp] }, members: {} } });
      assert.ok(!history.some((argv) => argv[0] === 'conntrack'), 'adding a rule ends no flow');
      await fw.sync({ ports: [member], groups: { rules: { [g]: [] }, members: {} } });
      assert.deepEqual(history.slice(-2).map((argv) => argv[0]), ['nft', 'conntrack']);
      assert.deepEqual(history.at(-1)!.slice(-5), ['ipv4', '-p', '1', '-d', '10.0.0.10']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes what a previous process left when a new one prunes before applying anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-fw-'));
    try {
      const { runner, scripts } = recorder();
      await createPortFirewall({ runner, stateDir: dir, log: silentLogger(), brNetfilterLoaded: () => true }).prune(new Set([a.portId]));
      assert.deepEqual(scripts, ['table bridge stratus\ndelete table bridge stratus\ntable inet stratus\ndelete table inet stratus\n']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to filter without br_netfilter (after trying to load it), leaving the host as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-fw-'));
    try {
      const { runner, history, scripts } = recorder();
      const fw = createPortFirewall({ runner, stateDir: dir, log: silentLogger(), brNetfilterLoaded: () => false });
      await assert.rejects(fw.sync({ ports: [a], groups }), /br_netfilter/);
      assert.deepEqual(history, [['modprobe', 'br_netfilter']]);
      assert.equal(scripts.length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
