// How a proxy opens a console token's target: a unix socket directly; a relay only after it accepted the ticket,
// with none of the console's first bytes lost; a relay that refuses, or a malformed target, is an error.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { relayTarget } from '../domain/console-target.ts';
import { connectConsole } from './connect-console.ts';
import { startFakeConsoleSocket } from './test-console-socket.ts';

/** A stand-in relay: answers the expected ticket with `answer` (then a greeting in the same write), anything else by closing. */
async function stubRelay(ticket: string, answer: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => {
    s.once('data', (d: Buffer) => {
      if (d.toString() === `${ticket}\n`) s.end(`${answer}RFB 003.008\n`);
      else s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

const readAll = (s: Socket) => new Promise<string>((done) => {
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString(); });
  s.on('close', () => done(got));
  s.resume();
});

describe('connecting to a console target', async () => {
  const ticket = 'a'.repeat(43);
  const ok = await stubRelay(ticket, 'OK\n');
  const odd = await stubRelay(ticket, 'NO\n');
  const unix = await startFakeConsoleSocket('login: ');
  after(async () => {
    ok.server.close();
    odd.server.close();
    await unix.close();
  });

  it('reaches a unix socket by its path', async () => {
    const s = await connectConsole(unix.path);
    const first = await new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
    s.destroy();
    assert.equal(first, 'login: ');
  });

  it('hands over a relayed console after the relay accepted the ticket, first bytes included', async () => {
    const s = await connectConsole(relayTarget('127.0.0.1', ok.port, ticket));
    assert.equal(await readAll(s), 'RFB 003.008\n');
  });

  it('fails when the relay refuses or answers anything else, and on a malformed target', async () => {
    await assert.rejects(connectConsole(relayTarget('127.0.0.1', ok.port, 'b'.repeat(43))), /refused the ticket/);
    await assert.rejects(connectConsole(relayTarget('127.0.0.1', odd.port, ticket)), /did not accept the ticket/);
    await assert.rejects(connectConsole('relay://127.0.0.1:99999/short'), /malformed/);
  });
});
