// SLO manifest rules: what a manifest PUT may hold (reported per index, as Swift does), segment ranges, and the
// large object's ETag over its segments.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { parseManifest, rawManifest, resolveRange, segmentLength, sloEtag } from './slo-manifest.ts';
import type { StoredSegment } from './slo-manifest.ts';

const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');

describe('SLO manifests', () => {
  it('accepts path segments with optional etag, size and range, and inline data', () => {
    const entries = parseManifest(JSON.stringify([
      { path: '/c/a', etag: null, size_bytes: '10' }, { data: Buffer.from('hi').toString('base64') }, { path: 'c/b', range: '-5', etag: 'x', size_bytes: null },
    ]), '/c/manifest');
    assert.deepEqual(entries.map((e) => e.kind), ['object', 'data', 'object']);
    assert.deepEqual(entries[0], { kind: 'object', index: 0, path: '/c/a', sizeBytes: 10 });
    assert.deepEqual(entries[2], { kind: 'object', index: 2, path: 'c/b', etag: 'x', range: { suffix: 5 } });
  });

  it('reports every bad segment by index in one 400', () => {
    const body = JSON.stringify([
      { path: '/c' }, { path: '/c/o', size_bytes: 'big' }, { path: '/c/o', extra: 1 }, { path: '/c/m' }, { path: '/c/o', range: '5-2' },
      { path: '/c/o', range: '0-1,4-5' }, { path: '/c/o', size_bytes: 10, range: '20-' }, { path: '/c/o', size_bytes: 0 }, 'x', { data: '***' }, { path: '/c/o', etag: 5 },
    ]);
    assert.throws(() => parseManifest(body, '/c/m'), (err: { status: number; message: string }) => {
      assert.equal(err.status, 400);
      assert.deepEqual(err.message.trimEnd().split('\n'), [
        'Index 0: path does not refer to an object. Path must be of the form /container/object.', 'Index 1: invalid size_bytes',
        'Index 2: extraneous keys "extra"', 'Index 3: manifest must not include itself as a segment', 'Index 4: invalid range',
        'Index 5: multiple ranges (only one allowed)', 'Index 6: unsatisfiable range', 'Index 7: too small; each segment must be at least 1 byte.',
        'Index 8: not a JSON object', 'Index 9: data must be valid base64', 'Index 10: "etag" must be a string or null (if provided)',
      ]);
      return true;
    });
    assert.throws(() => parseManifest('{', '/c/m'), { status: 400, message: 'Manifest must be valid JSON.\n' });
    assert.throws(() => parseManifest('{}', '/c/m'), { status: 400, message: 'Manifest must be a list.\n' });
    assert.throws(() => parseManifest(JSON.stringify([{ data: 'aGk=' }]), '/c/m'), { message: /require at least one object-backed segment/ });
  });

  it('resolves ranges against a segment the way HTTP does', () => {
    assert.deepEqual(resolveRange({ first: 2, last: 4 }, 10), { start: 2, end: 4 });
    assert.deepEqual(resolveRange({ first: 8, last: 40 }, 10), { start: 8, end: 9 });
    assert.deepEqual(resolveRange({ first: 3 }, 10), { start: 3, end: 9 });
    assert.deepEqual(resolveRange({ suffix: 4 }, 10), { start: 6, end: 9 });
    assert.deepEqual(resolveRange({ suffix: 40 }, 10), { start: 0, end: 9 });
    assert.equal(resolveRange({ first: 10 }, 10), undefined);
    assert.equal(resolveRange({ suffix: 0 }, 10), undefined);
  });

  it('computes the ETag over segment ETags, `etag:range;` for ranged ones and the MD5 of inline data', () => {
    const segments: StoredSegment[] = [
      { name: '/c/a', bytes: 10, hash: 'aaa', content_type: 'x', last_modified: 't' },
      { name: '/c/b', bytes: 10, hash: 'bbb', content_type: 'x', last_modified: 't', range: '1-2' },
      { data: Buffer.from('inline').toString('base64') },
    ];
    assert.equal(sloEtag(segments), md5(`aaabbb:1-2;${md5('inline')}`));
    assert.deepEqual(segments.map(segmentLength), [10, 2, 6]);
    assert.deepEqual(JSON.parse(rawManifest(segments)), [
      { etag: 'aaa', path: '/c/a', size_bytes: 10 }, { etag: 'bbb', path: '/c/b', range: '1-2', size_bytes: 10 }, { data: Buffer.from('inline').toString('base64') },
    ]);
  });
});
