// Checks on what a client asks an image to be, shared by create and update: Glance's refusals and per-image limits.
import { BadRequest, Forbidden } from '#lib/errors.ts';
import type { Image } from './image-model.ts';
import { READ_ONLY, isReserved, isWritable } from './image-model.ts';
import { imageSchemaProblem } from './image-schema.ts';
import { overQuota, readOnly, reserved } from './errors.ts';

/** Attributes a create may never name (others of READ_ONLY are refused the same way after them). */
const DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'];

export interface ImageLimits {
  /** Most custom properties and tags per image; -1 for no limit. */
  properties: number;
  tags: number;
}

/**
 * Validates a create body and splits it into attributes and custom properties. 403 for read-only or reserved names,
 * 400 for what breaks the schema.
 */
export function parseCreateBody(body: unknown): { attributes: Record<string, unknown>; properties: Record<string, string> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('Body expected in request.');
  const doc = body as Record<string, unknown>;
  for (const key of DISALLOWED) if (key in doc) throw readOnly(key);
  for (const key of Object.keys(doc)) if (key !== 'id' && READ_ONLY.has(key)) throw readOnly(key);
  const problem = imageSchemaProblem(doc);
  if (problem) throw new BadRequest(problem);
  const attributes: Record<string, unknown> = {};
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'id' || isWritable(key)) attributes[key] = value;
    else if (key.length > 255) throw new BadRequest('Custom property should not be greater than 255 characters.');
    else if (isReserved(key)) throw reserved(key);
    else properties[key] = value as string;
  }
  for (const key of ['min_ram', 'min_disk']) if ((attributes[key] as number) < 0) throw new BadRequest(`Cannot be a negative value: ${key}.`);
  return { attributes, properties };
}

/** 413 when an image holds more custom properties or tags than allowed. */
export function enforceImageLimits(image: Pick<Image, 'properties' | 'tags'>, limits: ImageLimits): void {
  const props = Object.keys(image.properties).length;
  if (limits.properties >= 0 && props > limits.properties) {
    throw overQuota(`The limit has been exceeded on the number of allowed image properties. Attempted: ${props}, Maximum: ${limits.properties}`);
  }
  if (limits.tags >= 0 && image.tags.length > limits.tags) {
    throw overQuota(`The limit has been exceeded on the number of allowed image tags. Attempted: ${image.tags.length}, Maximum: ${limits.tags}`);
  }
}

/** A visibility change that needs more than modify_image: the policy rule it also needs, if any. */
export function visibilityRule(from: Image['visibility'] | undefined, to: Image['visibility']): string | undefined {
  if (to === from) return undefined;
  if (to === 'public') return 'publicize_image';
  if (to === 'community') return 'communitize_image';
  return undefined;
}

export const notOwnerCreate = (owner: string): Forbidden => new Forbidden(`You are not permitted to create images owned by '${owner}'.`);
