// QMP framing and the client's conversation, against a scripted QMP server on a unix socket: greeting, capabilities,
// answers matched by id whatever their order, errors with their class, events to waiters, and a closed socket.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectQmp, QmpError, splitQmpMessages } from './qmp-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'stratus-qmp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A QMP server that greets, accepts qmp_capabilities and hands other commands to `on`. */
function fakeQemu(path: string, on: (cmd: { execute: string; id: string; arguments?: Record<string, unknown> }, s: Socket) => void): Promise<Server> {
  const server = createServer((s) => {
    s.write('{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}}, "capabilities": []}}\r\n');
    let buf = '';
    s.on('data', (chunk) => {
      const { messages, rest } = splitQmpMessages(buf + String(chunk));
      buf = rest;
      for (const m of messages as { execute: string; id: string }[]) {
        if (m.execute === 'qmp_capabilities') s.write(`${JSON.stringify({ return: {}, id: m.id })}\r\n`);
        else on(m, s);
      }
    });
  });
  return new Promise((r) => server.listen(path, () => r(server)));
}

describe('QMP client', () => {
  it('splits messages on line ends and keeps an unfinished tail', () => {
    const { messages, rest } = splitQmpMessages('{"return": {}, "id": "a"}\r\n{"event": "STOP"}\r\n{"retu');
    assert.deepEqual(messages, [{ return: {}, id: 'a' }, { event: 'STOP' }]);
    assert.equal(rest, '{"retu');
    assert.deepEqual(splitQmpMessages(rest + 'rn": 1}\r\n'), { messages: [{ return: 1 }], rest: '' });
  });

  it('matches answers to commands by id, raises errors with their class and delivers events', async () => {
    const path = join(dir, 'a.sock');
    let held: { id: string; s: Socket } | undefined;
    const server = await fakeQemu(path, (cmd, s) => {
      if (cmd.execute === 'slow') { held = { id: cmd.id, s }; return; }
      if (cmd.execute === 'device_del') {
        s.write(`${JSON.stringify({ error: { class: 'DeviceNotFound', desc: `Device '${String(cmd.arguments?.id)}' not found` }, id: cmd.id })}\r\n`);
        return;
      }
      s.write(`${JSON.stringify({ event: 'DEVICE_DELETED', data: { device: 'other' } })}\r\n${JSON.stringify({ event: 'DEVICE_DELETED', data: { device: 'vol-1' } })}\r\n`);
      s.write(`${JSON.stringify({ return: { status: 'running' }, id: cmd.id })}\r\n`);
      // The slow command's answer comes after a later one's.
      if (held) held.s.write(`${JSON.stringify({ return: 'late', id: held.id })}\r\n`);
    });
    const qmp = await connectQmp(path);
    try {
      const slow = qmp.execute('slow');
      const deleted = qmp.waitEvent('DEVICE_DELETED', { match: (e) => e.data?.device === 'vol-1', timeoutMs: 5000 });
      assert.deepEqual(await qmp.execute('query-status'), { status: 'running' });
      assert.equal(await slow, 'late');
      assert.equal((await deleted).data?.device, 'vol-1');
      await assert.rejects(qmp.execute('device_del', { id: 'vol-9' }), (err: unknown) => err instanceof QmpError && err.errorClass === 'DeviceNotFound');
    } finally {
      qmp.close();
      server.close();
    }
  });

  it('rejects pending commands and waiters when QEMU goes away', async () => {
    const path = join(dir, 'b.sock');
    const server = await fakeQemu(path, (_cmd, s) => s.destroy());
    const qmp = await connectQmp(path);
    const waiting = qmp.waitEvent('SHUTDOWN', { timeoutMs: 5000 });
    await assert.rejects(qmp.execute('quit'), /closed the connection/);
    await assert.rejects(waiting, /closed/);
    await qmp.closed;
    assert.equal(qmp.open, false);
    await assert.rejects(qmp.execute('query-status'), /closed/);
    server.close();
  });

  it('gives up on a socket that never greets', async () => {
    const path = join(dir, 'c.sock');
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(path, r));
    await assert.rejects(connectQmp(path, { timeoutMs: 100 }), /no greeting/);
    server.close();
  });
});
