// The ring file: built once, reloaded unchanged, rebalanced (keeping ids and the hash salt) when devices change.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRing, parseDevices } from './ring-file.ts';

describe('object ring file', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'ring-file-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('builds a ring on first load, returns the same ring after, and rebalances when a device is added', async () => {
    const config = { devices: ['d1:1:100', 'd2:2:100', 'd3:3:100'], replicas: 3, partPower: 6 };
    const first = await loadRing(dir, config);
    assert.equal(first.devices.length, 3);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'object.ring.json'), 'utf8')), first);
    assert.deepEqual(await loadRing(dir, config), first);

    const grown = await loadRing(dir, { ...config, devices: [...config.devices, 'd4:4:100'] });
    assert.equal(grown.hashSuffix, first.hashSuffix, 'the salt never changes, or every object would move');
    assert.deepEqual(grown.devices.map((d) => [d.id, d.name]), [[0, 'd1'], [1, 'd2'], [2, 'd3'], [3, 'd4']]);
    const onNew = grown.assignments.flat().filter((id) => id === 3).length;
    assert.ok(onNew >= 40 && onNew <= 56, `the new device holds ${onNew} of 192 replicas`);
    await assert.rejects(loadRing(dir, { ...config, devices: grown.devices.map((d) => `${d.name}:${d.zone}:${d.weight}`), partPower: 7 }), /part_power/);
  });

  it('parses name:zone:weight entries and refuses malformed ones', () => {
    assert.deepEqual(parseDevices(['a', 'b:5', 'c:2:50']), [{ name: 'a', zone: 1, weight: 100 }, { name: 'b', zone: 5, weight: 100 }, { name: 'c', zone: 2, weight: 50 }]);
    assert.throws(() => parseDevices(['x:zone']), /bad entry/);
  });

  it('parses a storage node address per device (scale-out) and refuses malformed ones', async () => {
    assert.deepEqual(parseDevices(['a:1:100@10.0.0.2:6200', 'b:2:100@[fd00::2]:6201', 'c:3:100@node3.example:6202']), [
      { name: 'a', zone: 1, weight: 100, ip: '10.0.0.2', port: 6200 }, { name: 'b', zone: 2, weight: 100, ip: 'fd00::2', port: 6201 },
      { name: 'c', zone: 3, weight: 100, ip: 'node3.example', port: 6202 }]);
    for (const bad of ['a@10.0.0.2', 'a@10.0.0.2:0', 'a@10.0.0.2:70000', 'a@:6200', 'a@host name:1']) assert.throws(() => parseDevices([bad]), /address/, bad);
    // Giving devices addresses keeps every assignment: nothing moves.
    const sub = mkdtempSync(join(dir, 'addr-'));
    const local = await loadRing(sub, { devices: ['d1:1:100', 'd2:2:100', 'd3:3:100'], replicas: 2, partPower: 4 });
    const remote = await loadRing(sub, { devices: ['d1:1:100@h1:6200', 'd2:2:100@h1:6200', 'd3:3:100@h2:6200'], replicas: 2, partPower: 4 });
    assert.deepEqual(remote.assignments, local.assignments);
    assert.equal(remote.devices[2].ip, 'h2');
  });
});
