// Opens the socket a console token points at: a unix socket on this host, or another host's console relay, where
// the token's one-time ticket is presented first and the relay must answer `OK\n` before the console's bytes flow.
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { parseConsoleTarget, RELAY_OK } from '../domain/console-target.ts';

const RELAY_ANSWER_MS = 5000;

function connected(s: Socket): Promise<Socket> {
  return new Promise((done, fail) => {
    s.once('connect', () => { s.off('error', fail); done(s); });
    s.once('error', fail);
  });
}

/** Resolves with a socket whose next bytes are the console's; rejects when the target cannot be reached or refuses. */
export async function connectConsole(stored: string): Promise<Socket> {
  const target = parseConsoleTarget(stored);
  if (target.kind === 'unix') return connected(createConnection({ path: target.path }));
  const s = await connected(createConnection({ host: target.host, port: target.port }));
  s.write(`${target.ticket}\n`);
  return new Promise((done, fail) => {
    let got = Buffer.alloc(0);
    const quit = (why: string) => { cleanup(); s.destroy(); fail(new Error(`the console relay at ${target.host}:${target.port} ${why}`)); };
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length < RELAY_OK.length) return;
      cleanup();
      if (got.subarray(0, RELAY_OK.length).toString('latin1') !== RELAY_OK) return quit('did not accept the ticket');
      s.pause();
      // Whatever the console already sent after the answer is the console's.
      if (got.length > RELAY_OK.length) s.unshift(got.subarray(RELAY_OK.length));
      done(s);
    };
    const onClose = () => quit('refused the ticket');
    const onError = (err: Error) => quit(`failed: ${err.message}`);
    const timer = setTimeout(() => quit('did not answer'), RELAY_ANSWER_MS);
    const cleanup = () => { clearTimeout(timer); s.off('data', onData); s.off('close', onClose); s.off('error', onError); };
    s.on('data', onData);
    s.once('close', onClose);
    s.once('error', onError);
  });
}
