// Where a console proxy finds a guest's console, as the console token records it (the `socket_path` column): a unix
// socket on the proxy's own host (how older tokens and tests name it) or the guest host's console relay, a TCP
// address and the one-time ticket that opens that guest's console there (agent/console-relay.ts).
export type ConsoleTarget =
  | { kind: 'unix'; path: string }
  | { kind: 'relay'; host: string; port: number; ticket: string };

const RELAY = /^relay:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d{1,5})\/([A-Za-z0-9_-]{20,128})$/;

export function relayTarget(host: string, port: number, ticket: string): string {
  return `relay://${host.includes(':') ? `[${host}]` : host}:${port}/${ticket}`;
}

/** Reads a stored target; anything that is not a relay URL is a unix socket path. */
export function parseConsoleTarget(stored: string): ConsoleTarget {
  if (!stored.startsWith('relay://')) return { kind: 'unix', path: stored };
  const m = RELAY.exec(stored);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new Error('malformed console relay target');
  return { kind: 'relay', host: m[1].replace(/^\[|\]$/g, ''), port, ticket: m[3] };
}

/** The relay's answer once a ticket opened the console; anything else means it did not. */
export const RELAY_OK = 'OK\n';
