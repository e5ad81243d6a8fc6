// Test kit for console proxies: a unix socket standing in for a guest's console (it greets each connection, as a VNC
// server does with its version, and records what it receives) and a websocket client that reports how a session went.
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';

export interface FakeConsoleSocket {
  path: string;
  /** Bytes received so far, per connection. */
  received: Buffer[];
  /** Connections currently open. */
  connections: Set<Socket>;
  /** Resolves once `n` bytes in all arrived on the latest connection. */
  waitForBytes(n: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Listens on a fresh unix socket in a temp dir; every connection is greeted with `greeting` (e.g. `RFB 003.008\n`). */
export async function startFakeConsoleSocket(greeting: string): Promise<FakeConsoleSocket> {
  const dir = mkdtempSync(join(tmpdir(), 'console-sock-'));
  const path = join(dir, 'console.sock');
  const received: Buffer[] = [];
  const connections = new Set<Socket>();
  let onData: (() => void) | undefined;
  const server = createServer((conn) => {
    const index = received.push(Buffer.alloc(0)) - 1;
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => conn.destroy());
    conn.on('data', (chunk) => { received[index] = Buffer.concat([received[index], chunk]); onData?.(); });
    conn.write(greeting);
  });
  await new Promise<void>((done) => server.listen(path, done));
  return {
    path, received, connections,
    waitForBytes(n) {
      return new Promise((done) => {
        const check = () => {
          const last = received.at(-1);
          if (last && last.length >= n) { onData = undefined; done(last); }
        };
        onData = check;
        check();
      });
    },
    async close() {
      for (const c of connections) c.destroy();
      await new Promise<void>((done) => server.close(() => done()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ConsoleSession {
  ws: WebSocket;
  /** The first message from the proxy, or undefined when the socket closed without one. */
  first: Promise<Buffer | undefined>;
  /** How the websocket closed. */
  closed: Promise<{ code: number; reason: string }>;
  /** The HTTP status when the proxy refused the handshake itself. */
  refused: Promise<number | undefined>;
}

/** Opens a websocket to `url` and records what happens; never rejects. */
export function openConsole(url: string, headers: Record<string, string> = {}): ConsoleSession {
  const ws = new WebSocket(url, { headers });
  const refused = new Promise<number | undefined>((done) => {
    ws.once('unexpected-response', (_req, res) => { done(res.statusCode); res.resume(); ws.terminate(); });
    ws.once('open', () => done(undefined));
  });
  const closed = new Promise<{ code: number; reason: string }>((done) => {
    ws.once('close', (code, reason) => done({ code, reason: reason.toString() }));
  });
  ws.on('error', () => undefined);
  const first = new Promise<Buffer | undefined>((done) => {
    ws.once('message', (data: Buffer) => done(data));
    ws.once('close', () => done(undefined));
  });
  return { ws, first, closed, refused };
}

/** Asserts the proxy refused the token: not one byte of the console, then a policy-violation close. */
export async function assertRefused(session: ConsoleSession): Promise<void> {
  assert.equal(await session.first, undefined, 'no byte of the console reaches a refused client');
  assert.deepEqual(await session.closed, { code: 1008, reason: 'Invalid or expired console token' });
}
