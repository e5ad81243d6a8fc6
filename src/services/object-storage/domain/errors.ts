// Object Storage's errors, with the texts Swift's proxy answers (clients show them as they are).
import { BadRequest, Conflict, NotFound, PreconditionFailed, ServiceUnavailable, StratusError } from '#lib/errors.ts';

export const notFound = (): NotFound => new NotFound('The resource could not be found.');
export const containerNotEmpty = (): Conflict => new Conflict('There was a conflict when trying to complete your request.');
export const etagMismatch = (): StratusError => new StratusError(422, 'UnprocessableEntity', 'The ETag you sent does not match the MD5 of the data received.');
export const preconditionFailed = (): PreconditionFailed => new PreconditionFailed('A precondition for this request was not met.');
export const notModified = (): StratusError => new StratusError(304, 'NotModified', '');
export const rangeNotSatisfiable = (size: number): StratusError => new StratusError(416, 'RangeNotSatisfiable', 'The Range requested is not available.', { headers: { 'content-range': `bytes */${size}` } });
export const lengthRequired = (): StratusError => new StratusError(411, 'LengthRequired', 'Missing Content-Length or Transfer-Encoding: chunked.');
export const noQuorum = (): ServiceUnavailable => new ServiceUnavailable('Not enough storage devices accepted the write; try again later.');
export const noReplica = (): ServiceUnavailable => new ServiceUnavailable('No storage device could serve the object; try again later.');
export const tooLarge = (max: number): StratusError => new StratusError(413, 'RequestEntityTooLarge', `Your request is too large: objects may hold at most ${max} bytes.`);
/** A large object whose first segment is missing or changed: nothing is sent (later segments close the connection). */
export const segmentConflict = (): Conflict => new Conflict('There was a conflict when trying to complete your request.');
/** A segment that is gone or no longer what its manifest recorded (Swift's SegmentError). */
export class SegmentError extends StratusError {
  constructor(message: string) { super(409, 'SegmentError', message); }
}
export const badRequest = (message: string): BadRequest => new BadRequest(message);

/** Thrown by an object server when a replica's bytes do not match its recorded MD5; the replica is already quarantined. */
export class CorruptReplica extends StratusError {
  constructor(where: string) { super(503, 'CorruptReplica', `The replica on ${where} is corrupt and was quarantined.`); }
}
