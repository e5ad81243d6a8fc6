// Makes this host's guest consoles reachable from a console proxy on another host (Nova's proxies reach the
// compute host's VNC over TCP). A console URL's request asks the agent for a ticket: one-time, expiring, for one
// guest socket. The proxy, after consuming the user's console token, connects here, sends the ticket and a newline,
// gets `OK\n`, and then talks to the guest's unix socket. Without a live ticket the connection is closed unanswered,
// so the user's token stays the only way in.
import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Logger } from '#lib/log.ts';
import { RELAY_OK, relayTarget } from '../domain/console-target.ts';

export interface ConsoleRelay {
  /** A one-time ticket to `socketPath` valid for `ttlMs`, as the target string the console token stores. */
  grant(socketPath: string, ttlMs: number): Promise<string>;
  close(): Promise<void>;
}

/** How long a connection may take to present its ticket, and how long a ticket line may be. */
const HELLO_MS = 5000;
const MAX_LINE = 160;

const hash = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export function createConsoleRelay(opts: { hostIp: () => Promise<string>; log: Logger }): ConsoleRelay {
  const log = opts.log.child({ role: 'console-relay' });
  const tickets = new Map<string, { path: string; expires: number }>();
  const open = new Set<Socket>();
  let server: Server | undefined;
  let address: Promise<{ host: string; port: number }> | undefined;

  function relay(conn: Socket, path: string): void {
    const guest = createConnection({ path });
    open.add(guest);
    guest.once('connect', () => {
      conn.write(RELAY_OK);
      // pipe() pauses the faster side while the slower one drains.
      conn.pipe(guest);
      guest.pipe(conn);
    });
    const end = () => { conn.destroy(); guest.destroy(); open.delete(guest); };
    guest.on('error', (err) => { log.warn({ err: err.message }, 'guest console socket failed'); end(); });
    guest.on('close', end);
    conn.on('close', end);
  }

  function accept(conn: Socket): void {
    open.add(conn);
    conn.on('close', () => open.delete(conn));
    conn.on('error', () => conn.destroy());
    conn.setTimeout(HELLO_MS, () => conn.destroy());
    let line = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      line = Buffer.concat([line, chunk]);
      const nl = line.indexOf(0x0a);
      if (nl < 0) {
        if (line.length > MAX_LINE) conn.destroy();
        return;
      }
      conn.off('data', onData);
      conn.pause();
      conn.setTimeout(0);
      const key = hash(line.subarray(0, nl).toString('latin1'));
      const grant = tickets.get(key);
      tickets.delete(key);
      if (!grant || Date.now() > grant.expires || line.length > nl + 1) {
        log.warn({ peer: conn.remoteAddress }, 'console relay refused a connection');
        conn.destroy();
        return;
      }
      relay(conn, grant.path);
    };
    conn.on('data', onData);
  }

  function listen(): Promise<{ host: string; port: number }> {
    address ??= (async () => {
      const host = await opts.hostIp();
      const s = createServer(accept);
      await new Promise<void>((done, fail) => {
        s.once('error', fail);
        s.listen(0, host, () => { s.off('error', fail); done(); });
      });
      server = s;
      const port = (s.address() as { port: number }).port;
      log.info({ host, port }, 'console relay listening');
      return { host, port };
    })();
    address.catch(() => { address = undefined; });
    return address;
  }

  return {
    async grant(socketPath, ttlMs) {
      const { host, port } = await listen();
      const now = Date.now();
      for (const [k, t] of tickets) if (t.expires < now) tickets.delete(k);
      const ticket = randomBytes(32).toString('base64url');
      tickets.set(hash(ticket), { path: socketPath, expires: now + ttlMs });
      return relayTarget(host, port, ticket);
    },
    async close() {
      tickets.clear();
      for (const s of open) s.destroy();
      const s = server;
      server = undefined;
      address = undefined;
      if (s) await new Promise<void>((done) => s.close(() => done()));
    },
  };
}
