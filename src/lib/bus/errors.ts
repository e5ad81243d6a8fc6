// The bus's own errors and the wire form of handler errors, so a remote failure keeps its HTTP status and code.
import { RemoteError, StratusError, ServiceUnavailable, isStratusError } from '../errors.ts';

/** No answer (or no broker) within the deadline: the caller's error handler renders it as 504. */
export class MessagingTimeout extends StratusError {
  constructor(opts: { topic: string; method: string; timeoutMs: number }) {
    super(504, 'MessagingTimeout',
      `Timed out after ${opts.timeoutMs} ms waiting for ${opts.method} on topic ${opts.topic}`);
  }
}

/** The endpoint has no handler for the method named in the envelope. */
export class UnsupportedMethod extends StratusError {
  constructor(method: string) {
    super(500, 'UnsupportedMethod', `Endpoint does not support RPC method ${method}`);
  }
}

export function busClosed(): StratusError {
  return new ServiceUnavailable('The message bus is closed.');
}

/** How a handler's error travels back to the caller. */
export interface WireError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** A StratusError keeps its fields; anything else becomes a 500 'RemoteError' carrying only its message. */
export function toWireError(err: unknown): WireError {
  if (isStratusError(err)) return { status: err.status, code: err.code, message: err.message, details: err.details };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, code: 'RemoteError', message };
}

export function fromWireError(w: WireError): RemoteError {
  return new RemoteError(w.status, w.code, w.message, w.details);
}
