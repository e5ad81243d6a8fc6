// When a shelved server is due to be offloaded, and what a shelve records, as Nova's shelved_offload_time decides.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { offloadDue, shelveMetadata, shelveRecordOf } from './shelve.ts';

describe('shelve rules', () => {
  const at = new Date('2024-01-01T00:00:00.000Z');
  const later = (s: number) => new Date(at.getTime() + s * 1000);

  it('offloads at once with 0, never with -1, and N seconds after the shelve otherwise', () => {
    assert.equal(offloadDue(at.toISOString(), 0, at), true);
    assert.equal(offloadDue(at.toISOString(), -1, later(1e6)), false);
    assert.equal(offloadDue(at.toISOString(), 30, later(29)), false);
    assert.equal(offloadDue(at.toISOString(), 30, later(30)), true);
    assert.equal(offloadDue(null, 30, at), true, 'a shelved server without shelved_at has waited long enough');
    assert.equal(offloadDue('not a date', 30, at), true);
  });

  it('records shelved_at, shelved_host and the image, and reads them back', () => {
    const meta = shelveMetadata(at, 'img-1', 'host-a');
    assert.deepEqual(meta, { shelved_at: '2024-01-01T00:00:00.000Z', shelved_host: 'host-a', shelved_image_id: 'img-1' });
    assert.deepEqual(shelveRecordOf(meta), { shelvedAt: '2024-01-01T00:00:00.000Z', imageId: 'img-1', host: 'host-a' });
    assert.deepEqual(shelveRecordOf(shelveMetadata(at, null, 'host-b')), { shelvedAt: '2024-01-01T00:00:00.000Z', imageId: null, host: 'host-b' });
    assert.deepEqual(shelveRecordOf({}), { shelvedAt: null, imageId: null, host: null });
  });
});
