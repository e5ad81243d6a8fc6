// The ring spreads partitions by weight, keeps replicas on distinct devices and zones, and rebalances minimally.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRing, movedReplicas, rebalanceRing } from './ring-builder.ts';
import { handoffNodes, partitionOf, primaryNodes, writeQuorum } from './ring.ts';
import type { RingDevice } from './ring.ts';

const devs = (n: number, zones = n): RingDevice[] => Array.from({ length: n }, (_, i) => ({ id: i, name: `d${i}`, zone: i % zones, weight: 100 }));

describe('object ring', () => {
  it('places 3 replicas of every partition on distinct devices in distinct zones', () => {
    const ring = buildRing({ partPower: 8, replicas: 3, hashSuffix: 's', devices: devs(4) });
    for (let p = 0; p < 256; p++) {
      const nodes = primaryNodes(ring, p);
      assert.equal(nodes.length, 3);
      assert.equal(new Set(nodes.map((d) => d.id)).size, 3);
      assert.equal(new Set(nodes.map((d) => d.zone)).size, 3);
    }
  });

  it('spreads partitions in proportion to weight, and the same options give the same ring', () => {
    const devices = devs(4);
    devices[3].weight = 200;
    const ring = buildRing({ partPower: 10, replicas: 2, hashSuffix: 's', devices });
    const counts = [0, 0, 0, 0];
    for (const row of ring.assignments) for (const id of row) counts[id]++;
    // 2048 replicas over weights 1:1:1:2 → 409.6 each and 819.2
    for (const i of [0, 1, 2]) assert.ok(Math.abs(counts[i] - 409.6) <= 1, `device ${i}: ${counts[i]}`);
    assert.ok(Math.abs(counts[3] - 819.2) <= 1);
    assert.deepEqual(buildRing({ partPower: 10, replicas: 2, hashSuffix: 's', devices }), ring);
  });

  it('uses distinct devices when there are fewer zones than replicas', () => {
    const ring = buildRing({ partPower: 6, replicas: 3, hashSuffix: 's', devices: devs(4, 2) });
    for (let p = 0; p < 64; p++) {
      const nodes = primaryNodes(ring, p);
      assert.equal(new Set(nodes.map((d) => d.id)).size, 3);
      assert.equal(new Set(nodes.map((d) => d.zone)).size, 2);
    }
  });

  it('a rebalance after adding a device moves about its share and no more', () => {
    const before = buildRing({ partPower: 10, replicas: 3, hashSuffix: 's', devices: devs(4) });
    const after = rebalanceRing(before, { partPower: 10, replicas: 3, hashSuffix: 's', devices: devs(5) });
    const moved = movedReplicas(before, after);
    // The new device should take 1/5 of 3072 replicas ≈ 614; a from-scratch build would move far more.
    assert.ok(moved >= 600 && moved <= 700, `moved ${moved}`);
    for (let p = 0; p < 1024; p++) assert.equal(new Set(primaryNodes(after, p).map((d) => d.zone)).size, 3);
  });

  it('removing a device reassigns only its partitions', () => {
    const before = buildRing({ partPower: 8, replicas: 3, hashSuffix: 's', devices: devs(5) });
    const after = rebalanceRing(before, { partPower: 8, replicas: 3, hashSuffix: 's', devices: devs(5).slice(0, 4) });
    let held = 0;
    for (const row of before.assignments) for (const id of row) if (id === 4) held++;
    assert.ok(movedReplicas(before, after) < held * 1.3, `moved ${movedReplicas(before, after)} for ${held} held`);
    for (const row of after.assignments) assert.ok(!row.includes(4));
  });

  it('handoffs are the other devices, other zones first; partitions and quorum are as Swift computes them', () => {
    const devices = devs(6, 3);
    const ring = buildRing({ partPower: 4, replicas: 2, hashSuffix: 's', devices });
    const primaries = primaryNodes(ring, 5);
    const handoffs = handoffNodes(ring, 5);
    assert.equal(handoffs.length, 4);
    assert.ok(handoffs.every((d) => !primaries.some((p) => p.id === d.id)));
    const zones = new Set(primaries.map((d) => d.zone));
    assert.ok(!zones.has(handoffs[0].zone));
    assert.equal(partitionOf(ring, 'AUTH_a', 'c', 'o'), partitionOf(ring, 'AUTH_a', 'c', 'o'));
    assert.ok(partitionOf(ring, 'AUTH_a', 'c', 'o') < 16);
    assert.deepEqual([1, 2, 3, 4, 5].map(writeQuorum), [1, 2, 2, 3, 3]);
  });

  it('refuses a ring that cannot hold its replicas', () => {
    assert.throws(() => buildRing({ partPower: 4, replicas: 3, hashSuffix: 's', devices: devs(2) }), /at least 3 devices/);
    assert.throws(() => buildRing({ partPower: 4, replicas: 1, hashSuffix: 's', devices: [{ id: 0, name: '../x', zone: 0, weight: 1 }] }), /device name/);
  });
});
