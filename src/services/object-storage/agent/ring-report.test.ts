// `stratus ring` describes the ring on disk and rebalances it when the configured devices change.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOptions } from '#lib/config/options.ts';
import { objectRingReport, objectStorageOptions } from '../roles.ts';

describe('stratus ring', () => {
  it('builds the ring, reports balance per device, and rebalances when a device is added', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ring-report-'));
    try {
      const four = resolveOptions('object_storage', objectStorageOptions, { part_power: 6 }, {});
      const first = await objectRingReport(dir, four);
      assert.match(first, /64 partitions \(part power 6\), 3 replicas, 4 devices in 4 zones/);
      assert.match(first, /\n +0 +d1 +1 +100 +48 +0\.00%/);
      assert.doesNotMatch(first, /moved/);
      assert.equal(await objectRingReport(dir, four), first, 'an unchanged configuration leaves the ring alone');
      const five = resolveOptions('object_storage', objectStorageOptions, { part_power: 6, devices: ['d1:1:100', 'd2:2:100', 'd3:3:100', 'd4:4:100', 'd5:5:100'] }, {});
      const second = await objectRingReport(dir, five);
      assert.match(second, /5 devices in 5 zones/);
      assert.match(second, /\d+ partition replicas moved by this rebalance/);
      assert.match(second, /\n +4 +d5 +5 +100 +\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
