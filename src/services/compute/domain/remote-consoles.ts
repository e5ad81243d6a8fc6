// Which remote consoles a server may get (Nova's protocol and type pairs) and the one-time tokens that open them: the
// rules and Nova's error texts, no I/O. Stratus offers noVNC (protocol vnc) and the serial console over a websocket.
import { createHash, randomBytes } from 'node:crypto';
import { BadRequest, Conflict } from '#lib/errors.ts';

/** What the hypervisor driver exposes on its host: the guest's VNC server or its serial chardev. */
export type ConsoleKind = 'vnc' | 'serial';

/** The console types Stratus serves, as Nova records them in a token: each has its proxy and its socket kind. */
export const SERVED_CONSOLES = { novnc: 'vnc', serial: 'serial' } as const satisfies Record<string, ConsoleKind>;
export type ServedConsoleType = keyof typeof SERVED_CONSOLES;

/** Nova's protocols and the types each accepts; a pair Nova knows but Stratus does not serve is "unavailable". */
const TYPES_OF_PROTOCOL: Record<string, readonly string[]> = {
  vnc: ['novnc', 'xvpvnc'],
  spice: ['spice-html5'],
  rdp: ['rdp-html5'],
  serial: ['serial'],
  mks: ['webmks'],
};

export const consoleTypeInvalid = (type: string): BadRequest => new BadRequest(`Invalid console type ${type}`);
export const consoleTypeUnavailable = (type: string): BadRequest => new BadRequest(`Unavailable console type ${type}.`);
export const instanceNotReady = (uuid: string): Conflict => new Conflict(`Instance ${uuid} is not ready`);

/**
 * The console type to serve for a protocol and type (the request schema already limited both to Nova's words):
 * a type that does not belong to its protocol is invalid, a valid one this cloud has no proxy for is unavailable.
 */
export function servedConsoleType(protocol: string, type: string): ServedConsoleType {
  if (!TYPES_OF_PROTOCOL[protocol]?.includes(type)) throw consoleTypeInvalid(type);
  if (!(type in SERVED_CONSOLES)) throw consoleTypeUnavailable(type);
  return type as ServedConsoleType;
}

/** A new console token: 256 random bits, URL-safe, shown once to the user and never stored. */
export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What the database keeps of a token (and what the proxy looks it up by): its SHA-256, hex. */
export function hashConsoleToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The URL a user opens, as Nova builds it: noVNC reads the websocket path (`?token=…`) from its `path` parameter;
 * the serial console's websocket URL carries the token itself.
 */
export function consoleAccessUrl(baseUrl: string, type: ServedConsoleType, token: string): string {
  const sep = baseUrl.includes('?') ? '&' : '?';
  return type === 'novnc' ? `${baseUrl}${sep}path=${encodeURIComponent(`?token=${token}`)}` : `${baseUrl}${sep}token=${token}`;
}
