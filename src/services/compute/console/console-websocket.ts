// The websocket side of a console proxy (Nova's websocketproxy): a browser (or any websocket client) presents a
// one-time token, the proxy consumes it and then pipes bytes both ways between the websocket (binary frames) and the
// guest console's unix socket on this host or, through that host's console relay, on another one. Every refusal after
// the handshake is a close frame that says why.
import type { Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Logger } from '#lib/log.ts';
import { hashConsoleToken } from '../domain/remote-consoles.ts';
import type { ServedConsoleType } from '../domain/remote-consoles.ts';
import { consumeConsoleAuthToken } from '../db/console-auth-tokens-repo.ts';
import { connectConsole } from './connect-console.ts';
import type { ComputeDb, ConsoleAuthTokenRow } from '../db/tables.ts';

export interface ConsoleWebsocketOptions {
  db: ComputeDb;
  log: Logger;
  /** The token types this listener accepts: novnc on the noVNC port, serial on the serial port. */
  types: readonly ServedConsoleType[];
  /** Host names a browser page may come from besides the proxy's own (Nova's [console] allowed_origins). */
  allowedOrigins: readonly string[];
  /** The clock tokens expire by (tests move it). */
  now?: () => Date;
}

export interface ConsoleWebsocket {
  /** The http server's 'upgrade' listener. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Ends every open console and refuses new ones. */
  close(): void;
}

// Above this much unsent to the browser, stop reading the guest's socket until the websocket drains.
const HIGH_WATER = 1 << 20;

/** RFC 6455 close codes: the token is refused (policy violation); the console behind it cannot be reached. */
const REFUSED = { code: 1008, reason: 'Invalid or expired console token' };
const UNREACHABLE = { code: 1011, reason: 'The console is not available' };

/**
 * Whether a browser's Origin may open a console here: its host name is the one the client addressed (the Host
 * header) or an allowed one. Clients that send no Origin (not a browser) are not asked, as in Nova.
 */
export function originAllowed(origin: string, hostHeader: string | undefined, allowed: readonly string[]): boolean {
  let originHost: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    originHost = url.hostname;
  } catch {
    return false;
  }
  let host: string | undefined;
  try {
    host = hostHeader ? new URL(`http://${hostHeader}`).hostname : undefined;
  } catch {
    host = undefined;
  }
  return originHost === host || allowed.includes(originHost);
}

function refuseHttp(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}

export function createConsoleWebsocket(opts: ConsoleWebsocketOptions): ConsoleWebsocket {
  const now = opts.now ?? (() => new Date());
  // noVNC before 1.0 asked for the 'binary' subprotocol and insists on getting it back; newer clients ask for none.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20, handleProtocols: (offered) => (offered.has('binary') ? 'binary' : false) });
  const live = new Set<WebSocket>();
  let closed = false;

  function pipe(ws: WebSocket, target: Socket, grant: ConsoleAuthTokenRow, peer: string | undefined): void {
    const who = { instance: grant.instance_uuid, console: grant.console_type, host: grant.host, peer };
    const started = Date.now();
    let fromClient = 0;
    let toClient = 0;
    live.add(ws);
    opts.log.info(who, 'console connected');
    let ended = false;
    const end = (by: string) => {
      if (ended) return;
      ended = true;
      live.delete(ws);
      target.destroy();
      if (ws.readyState === ws.OPEN) ws.close(1000, 'Console closed');
      opts.log.info({ ...who, by, bytesFromClient: fromClient, bytesToClient: toClient, seconds: Math.round((Date.now() - started) / 1000) }, 'console disconnected');
    };
    target.on('data', (chunk: Buffer) => {
      toClient += chunk.length;
      ws.send(chunk, { binary: true }, () => { if (target.isPaused() && ws.bufferedAmount < HIGH_WATER) target.resume(); });
      if (ws.bufferedAmount >= HIGH_WATER) target.pause();
    });
    ws.on('message', (data: Buffer) => {
      fromClient += data.length;
      if (!target.write(data)) {
        ws.pause();
        target.once('drain', () => ws.resume());
      }
    });
    target.on('error', (err) => opts.log.warn({ ...who, err: err.message }, 'console socket failed'));
    target.on('close', () => end('console'));
    // A relayed console arrives paused (connect-console.ts holds its first bytes back until it is piped here).
    target.resume();
    ws.on('error', (err) => opts.log.warn({ ...who, err: err.message }, 'console websocket failed'));
    ws.on('close', () => end('client'));
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const peer = req.socket.remoteAddress;
    // A request that is not a websocket handshake must not burn the token it carries.
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) return refuseHttp(socket, 400, 'Bad Request');
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, req.headers.host, opts.allowedOrigins)) {
      opts.log.warn({ origin, peer }, 'console refused: origin not allowed');
      return refuseHttp(socket, 403, 'Forbidden');
    }
    const token = new URL(req.url ?? '/', 'http://proxy').searchParams.get('token');
    let grant: ConsoleAuthTokenRow | undefined;
    let target: Socket | undefined;
    let failure = REFUSED;
    try {
      grant = token ? await consumeConsoleAuthToken(opts.db, hashConsoleToken(token), { types: opts.types, now: now() }) : undefined;
      if (grant) {
        failure = UNREACHABLE;
        target = await connectConsole(grant.socket_path);
      }
    } catch (err) {
      opts.log.warn({ instance: grant?.instance_uuid, peer, err: (err as Error).message }, 'console unreachable');
    }
    // Only a hash prefix is logged: enough to match two log lines, useless to open a console.
    if (!target) opts.log.info({ instance: grant?.instance_uuid, peer, token: token ? hashConsoleToken(token).slice(0, 12) : undefined, reason: failure.reason }, 'console refused');
    if (closed || socket.destroyed) {
      target?.destroy();
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (target && grant) pipe(ws, target, grant, peer);
      else ws.close(failure.code, failure.reason);
    });
  }

  return {
    handleUpgrade(req, socket, head) {
      socket.on('error', () => socket.destroy());
      if (closed) return refuseHttp(socket, 503, 'Service Unavailable');
      upgrade(req, socket, head).catch((err: unknown) => {
        opts.log.error({ err: (err as Error).message }, 'console upgrade failed');
        socket.destroy();
      });
    },
    close() {
      closed = true;
      for (const ws of live) ws.terminate();
      wss.close();
    },
  };
}
