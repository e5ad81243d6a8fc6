// What `ip link set` a link needs to reach the wanted state: only the differences, all in one command.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { convergeArgs } from './ip-links.ts';

describe('convergeArgs', () => {
  const tap = { ifname: 'tap1', mtu: 1500, flags: ['BROADCAST'], address: 'fa:16:3e:00:00:01' };

  it('sets every difference in one argument list, the up flag last', () => {
    assert.deepEqual(convergeArgs(tap, { master: 'brq1', mtu: 1450, alias: 'stratus:port:1', up: true }),
      ['mtu', '1450', 'alias', 'stratus:port:1', 'master', 'brq1', 'up']);
  });

  it('asks for nothing when the link already is as wanted', () => {
    const wired = { ...tap, mtu: 1450, master: 'brq1', ifalias: 'stratus:port:1', flags: ['UP'] };
    assert.deepEqual(convergeArgs(wired, { master: 'brq1', mtu: 1450, alias: 'stratus:port:1', up: true }), []);
  });

  it('lets go of a master, changes the address, and takes a port down', () => {
    const up = { ...tap, master: 'brq1', flags: ['UP'] };
    assert.deepEqual(convergeArgs(up, { master: null, address: 'fa:16:3e:00:00:02', up: false }), ['address', 'fa:16:3e:00:00:02', 'nomaster', 'down']);
  });
});
