// Identity's errors, with Keystone's own message text because clients and operators match on it.
import { BadRequest, Conflict, Forbidden, NotFound, StratusError, Unauthorized } from '#lib/errors.ts';

export const notFound = (kind: string, id: string): NotFound => new NotFound(`Could not find ${kind}: ${id}.`);

export const duplicate = (kind: string, field: string, value: string): Conflict =>
  new Conflict(`Conflict occurred attempting to store ${kind} - Duplicate entry found with ${field} ${value}.`);

export const authFailed = (): Unauthorized => new Unauthorized('The request you have made requires authentication.');

export const invalidToken = (): NotFound => new NotFound('Could not recognize Fernet token');

export const validationError = (message: string): BadRequest => new BadRequest(message);

export const forbiddenAction = (action: string): Forbidden =>
  new Forbidden(`You are not authorized to perform the requested action: ${action}.`);

export const gone = (message: string): StratusError => new StratusError(403, 'Forbidden', message);
