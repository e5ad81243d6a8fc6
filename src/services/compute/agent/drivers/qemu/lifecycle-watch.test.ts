import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { watchGuestExits } from './lifecycle-watch.ts';

const tick = () => new Promise((r) => setTimeout(r, 30));

describe('guest lifecycle watch', () => {
  it('fires once when a running guest stops, never for guests first seen down or removed', async () => {
    const state = new Map([['a', true], ['b', false], ['c', true]]);
    const fired: string[] = [];
    const w = watchGuestExits({ list: async () => [...state.keys()], running: async (u) => state.get(u) ?? false, onStopped: (u) => fired.push(u), everyMs: 10 });
    try {
      await tick();
      assert.deepEqual(fired, []);
      state.set('a', false);
      state.delete('c');
      await tick();
      await tick();
      assert.deepEqual(fired, ['a']);
      state.set('a', true);
      await tick();
      state.set('a', false);
      await tick();
      assert.deepEqual(fired, ['a', 'a']);
    } finally {
      w.stop();
    }
  });
});
