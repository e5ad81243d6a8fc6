// Ranges and preconditions follow RFC 9110 as Swift applies them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPreconditions, parseRanges } from './conditions.ts';

describe('object read conditions', () => {
  it('parses single, suffix, open and multiple ranges and clamps them to the object', () => {
    assert.deepEqual(parseRanges('bytes=0-9', 100), [{ start: 0, end: 9 }]);
    assert.deepEqual(parseRanges('bytes=-10', 100), [{ start: 90, end: 99 }]);
    assert.deepEqual(parseRanges('bytes=95-', 100), [{ start: 95, end: 99 }]);
    assert.deepEqual(parseRanges('bytes=0-1, 50-200', 100), [{ start: 0, end: 1 }, { start: 50, end: 99 }]);
    assert.deepEqual(parseRanges('bytes=-500', 100), [{ start: 0, end: 99 }]);
  });

  it('ignores malformed ranges and refuses ranges beyond the object with 416', () => {
    assert.equal(parseRanges(undefined, 10), undefined);
    assert.equal(parseRanges('items=0-1', 10), undefined);
    assert.equal(parseRanges('bytes=5-2', 10), undefined);
    assert.equal(parseRanges('bytes=x-1', 10), undefined);
    assert.throws(() => parseRanges('bytes=10-20', 10), (e: { status: number }) => e.status === 416);
    assert.throws(() => parseRanges('bytes=0-1', 0), (e: { status: number }) => e.status === 416);
  });

  it('answers 412 and 304 as the preconditions say', () => {
    const o = { etag: 'abc', lastModified: 1000 };
    const status = (h: Record<string, string>, readOnly = true) => {
      try { checkPreconditions(h, o, readOnly); return 200; } catch (e) { return (e as { status: number }).status; }
    };
    assert.equal(status({ 'if-match': '"abc"' }), 200);
    assert.equal(status({ 'if-match': 'xyz' }), 412);
    assert.equal(status({ 'if-match': '*' }), 200);
    assert.equal(status({ 'if-none-match': '"abc"' }), 304);
    assert.equal(status({ 'if-none-match': '"abc"' }, false), 412);
    assert.equal(status({ 'if-none-match': 'xyz' }), 200);
    assert.equal(status({ 'if-modified-since': new Date(1000_000).toUTCString() }), 304);
    assert.equal(status({ 'if-modified-since': new Date(999_000).toUTCString() }), 200);
    assert.equal(status({ 'if-unmodified-since': new Date(999_000).toUTCString() }), 412);
    assert.equal(status({ 'if-unmodified-since': 'not a date' }), 200);
    assert.throws(() => checkPreconditions({ 'if-match': '*' }, undefined, true), (e: { status: number }) => e.status === 412);
  });
});
