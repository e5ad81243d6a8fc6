// The uptime line clients parse (python-openstackclient splits it into host time, uptime, users and load average).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostUptimeLine } from './host-uptime.ts';

const OSC_PATTERN = /\s*(.+)\sup\s+(.+),\s+(.+)\susers?,\s+load average:\s(.+)/;

describe('host uptime line', () => {
  it('reads like `uptime` for days, hours and minutes, in the form the openstack CLI parses', () => {
    const at = new Date('2026-11-25T17:37:14Z');
    assert.equal(hostUptimeLine(at, 3 * 86_400 + 2 * 3600 + 33 * 60 + 5, [0.333, 0.36, 0.344]), ' 17:37:14 up 3 days,  2:33,  0 users,  load average: 0.33, 0.36, 0.34');
    assert.equal(hostUptimeLine(at, 86_400 + 59, [0, 0, 0]), ' 17:37:14 up 1 day, 0 min,  0 users,  load average: 0.00, 0.00, 0.00');
    assert.equal(hostUptimeLine(at, 125, [1, 2, 3]), ' 17:37:14 up 2 min,  0 users,  load average: 1.00, 2.00, 3.00');
    const m = OSC_PATTERN.exec(hostUptimeLine(at, 7200, [0.1, 0.2, 0.3]));
    assert.deepEqual(m?.slice(1), ['17:37:14', '2:00', '0', '0.10, 0.20, 0.30']);
  });
});
