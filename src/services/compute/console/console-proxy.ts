// One console proxy listener (Nova's nova-novncproxy or nova-serialproxy): an HTTP server whose websocket upgrades
// open consoles by one-time token; the noVNC one also serves the noVNC page and its modules.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Logger } from '#lib/log.ts';
import type { ComputeDb } from '../db/tables.ts';
import { createConsoleWebsocket } from './console-websocket.ts';
import { serveNoVncFile } from './novnc-files.ts';

export interface ConsoleProxyOptions {
  db: ComputeDb;
  log: Logger;
  /** novnc: the page and VNC websockets; serial: serial console websockets only. */
  type: 'novnc' | 'serial';
  allowedOrigins: readonly string[];
  /** The clock tokens expire by (tests move it). */
  now?: () => Date;
}

export interface ConsoleProxy {
  server: Server;
  /** Listens; resolves with http://host:port. */
  listen(host: string, port: number): Promise<string>;
  /** Ends open consoles and stops listening. */
  close(): Promise<void>;
}

export function createConsoleProxy(opts: ConsoleProxyOptions): ConsoleProxy {
  const log = opts.log.child({ role: `compute-${opts.type === 'novnc' ? 'novnc' : 'serial'}proxy` });
  const websocket = createConsoleWebsocket({ db: opts.db, log, types: [opts.type], allowedOrigins: opts.allowedOrigins, now: opts.now });
  // Plain GETs never carry a token to log: the page's query (which holds it) is read by the browser, not by us.
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed');
      return;
    }
    if (opts.type === 'novnc' && serveNoVncFile(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
  });
  server.on('upgrade', websocket.handleUpgrade);
  return {
    server,
    listen(host, port) {
      return new Promise((done, fail) => {
        server.once('error', fail);
        server.listen(port, host, () => {
          server.off('error', fail);
          const address = server.address();
          const bound = typeof address === 'object' && address ? address.port : port;
          const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
          log.info({ url }, 'console proxy listening');
          done(url);
        });
      });
    },
    async close() {
      websocket.close();
      if (!server.listening) return;
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}
