// Typed errors shared by every service; each service's error handler renders them in its own OpenStack format.

/** Base class: an HTTP status, a stable machine code and a message clients may show to users. */
export class StratusError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export class BadRequest extends StratusError {
  constructor(message: string, details?: unknown) { super(400, 'BadRequest', message, details); }
}
export class Unauthorized extends StratusError {
  constructor(message = 'The request you have made requires authentication.') { super(401, 'Unauthorized', message); }
}
export class Forbidden extends StratusError {
  constructor(message = 'You are not authorized to perform the requested action.') { super(403, 'Forbidden', message); }
}
export class NotFound extends StratusError {
  constructor(message: string) { super(404, 'NotFound', message); }
}
export class MethodNotAllowed extends StratusError {
  constructor(message = 'The method is not allowed for the requested URL.') { super(405, 'MethodNotAllowed', message); }
}
export class NotAcceptable extends StratusError {
  constructor(message: string, details?: unknown) { super(406, 'NotAcceptable', message, details); }
}
export class Conflict extends StratusError {
  constructor(message: string) { super(409, 'Conflict', message); }
}
export class PreconditionFailed extends StratusError {
  constructor(message: string) { super(412, 'PreconditionFailed', message); }
}
export class PayloadTooLarge extends StratusError {
  constructor(message: string) { super(413, 'RequestEntityTooLarge', message); }
}
export class OverQuota extends StratusError {
  constructor(message: string) { super(413, 'OverQuota', message); }
}
export class UnsupportedMediaType extends StratusError {
  constructor(message: string) { super(415, 'UnsupportedMediaType', message); }
}
export class ServiceUnavailable extends StratusError {
  constructor(message: string) { super(503, 'ServiceUnavailable', message); }
}
/** The peer (a service or an RPC server) answered with an error we cannot map to a local class. */
export class RemoteError extends StratusError {
  constructor(status: number, code: string, message: string, details?: unknown) { super(status, code, message, details); }
}

export function isStratusError(err: unknown): err is StratusError {
  return err instanceof StratusError;
}
