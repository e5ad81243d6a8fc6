// The Image service's errors, with Glance's own message texts where clients or operators may match on them.
import { BadRequest, Conflict, Forbidden, NotFound, OverQuota, StratusError } from '#lib/errors.ts';

export const imageNotFound = (id: string): NotFound => new NotFound(`No image found with ID ${id}`);
export const memberNotFound = (imageId: string, memberId: string): NotFound =>
  new NotFound(`Member ${memberId} not found for image ${imageId}`);
export const readOnly = (name: string): Forbidden => new Forbidden(`Attribute '${name}' is read-only.`);
export const reserved = (name: string): Forbidden => new Forbidden(`Attribute '${name}' is reserved.`);
export const policyDenied = (action: string): Forbidden => new Forbidden(`You are not authorized to complete ${action} action.`);
export const protectedImage = (id: string): Forbidden => new Forbidden(`Image ${id} is protected and cannot be deleted.`);
export const badTransition = (from: string, to: string): Conflict =>
  new Conflict(`Image status transition from ${from} to ${to} is not allowed`);
export const imageExists = (id: string): Conflict => new Conflict(`Image with identifier ${id} already exists!`);
export const deactivatedDownload = (): Forbidden =>
  new Forbidden('The requested image has been deactivated. Image data download is forbidden.');
export const overQuota = (message: string): OverQuota => new OverQuota(message);
export const invalidInput = (message: string): BadRequest => new BadRequest(message);
/** 416: the Range header asks for bytes the image does not have. */
export const rangeNotSatisfiable = (size: number): StratusError =>
  new StratusError(416, 'RequestedRangeNotSatisfiable', `The requested range is not satisfiable: the image has ${size} bytes.`);
