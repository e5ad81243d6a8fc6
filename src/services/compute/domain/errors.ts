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
export const instanceNotFound = (id: string): NotFound => new NotFound(`Instance ${id} could not be found.`);
export const instanceLocked = (id: string): Conflict => new Conflict(`Instance ${id} is locked`);
export const instanceInvalidState = (attr: string, state: string, id: string, action: string): Conflict =>
  new Conflict(`Cannot '${action}' instance ${id} while it is in ${attr} ${state}`);
export const imageNotFound = (id: string): BadRequest => new BadRequest(`Image ${id} could not be found.`);
export const invalidFlavorRef = (): BadRequest => new BadRequest('Invalid flavorRef provided.');
export const keypairNotFound = (name: string, userId: string): NotFound => new NotFound(`Keypair ${name} not found for user ${userId}`);
export const keypairExists = (name: string): Conflict => new Conflict(`Key pair '${name}' already exists.`);
export const actionNotFound = (requestId: string, instance: string): NotFound =>
  new NotFound(`Action for request_id ${requestId} on instance ${instance} not found`);
export const serviceNotFound = (id: string): NotFound => new NotFound(`Service ${id} could not be found.`);
export const hypervisorNotFound = (id: string): NotFound => new NotFound(`Hypervisor with ID '${id}' could not be found.`);
/** Nova's NoValidHost text, which users see as the fault of a server nothing could host. */
export const noValidHostMessage = (reason: string): string => `No valid host was found. ${reason}`;
export const serverGroupNotFound = (id: string): NotFound => new NotFound(`Instance group ${id} could not be found.`);
