// The console relay a proxy on another host goes through: a live ticket opens its guest socket once, and a wrong,
// used or expired ticket gets the connection closed without a byte of the console.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { silentLogger } from '#lib/log.ts';
import { parseConsoleTarget } from '../domain/console-target.ts';
import { startFakeConsoleSocket } from '../console/test-console-socket.ts';
import { createConsoleRelay } from './console-relay.ts';

/** Connects to the relay, sends `line`, and collects what comes back until the relay or `ms` ends it. */
function speak(host: string, port: number, line: string, ms = 400): Promise<string> {
  return new Promise((done) => {
    const s = createConnection({ host, port });
    let got = '';
    s.on('connect', () => s.write(line));
    s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    const finish = () => { s.destroy(); done(got); };
    s.on('close', finish);
    s.on('error', finish);
    setTimeout(finish, ms);
  });
}

describe('console relay', async () => {
  const vnc = await startFakeConsoleSocket('RFB 003.008\n');
  const relay = createConsoleRelay({ hostIp: async () => '127.0.0.1', log: silentLogger() });
  after(async () => {
    await relay.close();
    await vnc.close();
  });

  it('opens the guest socket for a live ticket, once', async () => {
    const target = parseConsoleTarget(await relay.grant(vnc.path, 60_000));
    assert.equal(target.kind, 'relay');
    if (target.kind !== 'relay') return;
    assert.equal(target.host, '127.0.0.1');
    assert.equal(await speak(target.host, target.port, `${target.ticket}\n`), 'OK\nRFB 003.008\n');
    assert.equal(await speak(target.host, target.port, `${target.ticket}\n`), '', 'a used ticket opens nothing');
  });

  it('closes on a wrong or expired ticket, and on a connection that never presents one', async () => {
    const live = parseConsoleTarget(await relay.grant(vnc.path, 60_000));
    const short = parseConsoleTarget(await relay.grant(vnc.path, 20));
    if (live.kind !== 'relay' || short.kind !== 'relay') throw new Error('relay targets expected');
    assert.equal(await speak(live.host, live.port, `${live.ticket.slice(0, -2)}xx\n`), '');
    assert.equal(await speak(live.host, live.port, 'x'.repeat(400)), '', 'an endless first line is cut off');
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(await speak(short.host, short.port, `${short.ticket}\n`), '', 'expired');
    // The wrong guesses did not burn the live ticket.
    assert.equal(await speak(live.host, live.port, `${live.ticket}\n`), 'OK\nRFB 003.008\n');
  });
});
