// The readings behind qemu diagnostics: /proc stat fields (a command name may hold spaces and parentheses), disk
// names from QMP's blockstats, and a NIC's counters turned round to the guest's view.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cpuTicks, diskName, nicStats, statFields } from './guest-stats.ts';

describe('qemu guest stats', () => {
  it('reads utime + stime and the start time after a command name with spaces and parentheses', () => {
    const stat = '4242 (qemu (x) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 987654 1000 50';
    assert.equal(statFields(stat)[0], 'S');
    assert.equal(cpuTicks(stat), 325);
    assert.equal(statFields(stat)[19], '987654');
  });

  it('names a disk by its device id, else its drive or node name', () => {
    assert.equal(diskName({ qdev: '/machine/peripheral/root/virtio-backend', stats: {} }), 'root');
    assert.equal(diskName({ qdev: '/machine/peripheral/vol-1234/virtio-backend', stats: {} }), 'vol-1234');
    assert.equal(diskName({ device: '', 'node-name': 'eph0', stats: {} }), 'eph0');
  });

  it('counts what the host device sent as what the guest received', { skip: existsSync('/sys/class/net/lo/statistics') ? undefined : 'no /sys/class/net/lo' }, async () => {
    const nic = await nicStats({ portId: 'p1', macAddress: 'FA:16:3E:00:00:01', vifType: 'bridge', vifDetails: { tap_name: 'lo' } });
    const read = (n: string) => Number(readFileSync(`/sys/class/net/lo/statistics/${n}`, 'utf8'));
    assert.equal(nic.id, 'lo');
    assert.equal(nic.macAddress, 'fa:16:3e:00:00:01');
    // Counters only grow: each of the guest's rx figures lies between the host's tx before and after the reading.
    const before = read('tx_bytes');
    const again = await nicStats({ portId: 'p1', macAddress: 'fa:16:3e:00:00:01', vifType: 'bridge', vifDetails: { tap_name: 'lo' } });
    assert.ok(again.rxOctets! >= before && again.rxOctets! <= read('tx_bytes'));
    assert.ok(again.txPackets! <= read('rx_packets'));
    assert.equal(again.rxRate, null);
  });

  it('reports a NIC whose tap is gone with unknown counters', async () => {
    const nic = await nicStats({ portId: 'p2', macAddress: 'fa:16:3e:00:00:02', vifType: 'bridge', vifDetails: { tap_name: 'tapnonexist0' } });
    assert.deepEqual([nic.rxOctets, nic.txPackets], [null, null]);
  });
});
