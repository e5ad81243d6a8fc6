// Compute's errors with Nova's own message texts, which clients match on.
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';

export const flavorNotFound = (id: string): NotFound => new NotFound(`Flavor ${id} could not be found.`);
export const flavorNameExists = (name: string): Conflict => new Conflict(`Flavor with name ${name} already exists.`);
export const flavorIdExists = (id: string): Conflict => new Conflict(`Flavor with ID ${id} already exists.`);
export const extraSpecNotFound = (id: string, key: string): NotFound => new NotFound(`Flavor ${id} has no extra specs with key ${key}.`);
export const extraSpecUriMismatch = (): BadRequest => new BadRequest('Request body and URI mismatch');
export const accessListPublic = (): NotFound => new NotFound('Access list not available for public flavors.');
export const accessToPublic = (): Conflict => new Conflict('Can not add access to a public flavor.');
export const accessExists = (id: string, project: string): Conflict =>
  new Conflict(`Flavor access already exists for flavor ${id} and project ${project} combination.`);
export const accessNotFound = (id: string, project: string): NotFound =>
  new NotFound(`Flavor access not found for ${id} / ${project} combination.`);
export const markerNotFound = (marker: string): BadRequest => new BadRequest(`Marker ${marker} could not be found.`);
