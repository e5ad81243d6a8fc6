// Glance's JSON-patch dialect (application/openstack-images-v2.1-json-patch): add, replace and remove of one
// top-level attribute or custom property per operation, with Glance's refusals and their status codes.
import { BadRequest, Conflict, Forbidden } from '#lib/errors.ts';
import type { Image, WritableName } from './image-model.ts';
import { WRITABLE, READ_ONLY, isReserved, isWritable } from './image-model.ts';
import { readOnly, reserved } from './errors.ts';
import { imageSchemaProblem } from './image-schema.ts';

export const PATCH_CONTENT_TYPE = 'application/openstack-images-v2.1-json-patch';
const OPS = ['add', 'remove', 'replace'] as const;
export type PatchOp = (typeof OPS)[number];

/** One parsed operation: `name` is the decoded single-segment path. */
export interface Change {
  op: PatchOp;
  name: string;
  value?: unknown;
}

function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new BadRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw new BadRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw new BadRequest(`Pointer \`${pointer}\` end with "/".`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw new BadRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer.slice(1).split('/').map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~').trim());
}

/**
 * Parses and validates a patch document without looking at the image: malformed operations and paths are 400,
 * read-only and reserved attributes 403, values that break the image schema 400. Throws on the first problem.
 */
export function parsePatch(body: unknown): Change[] {
  if (!Array.isArray(body)) throw new BadRequest('Request body must be a JSON array of operation objects.');
  return body.map((raw: unknown): Change => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BadRequest('Operations must be JSON objects.');
    const r = raw as Record<string, unknown>;
    if (r.op === undefined) throw new BadRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPS.join(', ')}.`);
    if (!OPS.includes(r.op as PatchOp)) throw new BadRequest(`Invalid operation: \`${String(r.op)}\`. It must be one of the following: ${OPS.join(', ')}.`);
    const op = r.op as PatchOp;
    if (r.path === undefined) throw new BadRequest("Unable to find 'path' in JSON Schema change");
    if (typeof r.path !== 'string') throw new BadRequest('The path of a JSON-patch operation must be a string.');
    const parts = decodePointer(r.path);
    const name = parts[0];
    if (name === 'locations') throw new Forbidden("It's not allowed to update locations if locations are invisible.");
    if (parts.length !== 1) throw new BadRequest(`Invalid JSON pointer for this resource: '/${parts.join('/')}'`);
    if (op !== 'remove' && !('value' in r)) throw new BadRequest(`Operation "${op}" requires a member named "value".`);
    if (READ_ONLY.has(name)) throw readOnly(name);
    if (isReserved(name)) throw reserved(name);
    if (op === 'remove') return { op, name };
    if (name.length > 255) throw new BadRequest('Custom property should not be greater than 255 characters.');
    const problem = imageSchemaProblem({ [name]: r.value });
    if (problem) throw new BadRequest(problem);
    return { op, name, value: r.value };
  });
}

export interface ApplyOptions {
  /** Only an admin may change the owner. */
  isAdmin: boolean;
}

/**
 * Applies parsed changes to a copy of the image and returns it (the input is not modified). Replacing or removing a
 * custom property that does not exist is 409, removing an attribute 403, changing formats once data exists 403.
 */
export function applyPatch(image: Image, changes: Change[], opts: ApplyOptions): Image {
  const next: Image = { ...image, properties: { ...image.properties }, tags: [...image.tags] };
  for (const change of changes) {
    const { op, name } = change;
    if (isWritable(name)) {
      if (op === 'remove') throw new Forbidden(`Property ${name} may not be removed.`);
      setAttribute(next, name, change.value, opts);
    } else if (op === 'remove' || op === 'replace') {
      if (!Object.hasOwn(next.properties, name)) throw new Conflict(`Property ${name} does not exist.`);
      if (op === 'remove') delete next.properties[name];
      else next.properties[name] = change.value as string;
    } else {
      next.properties[name] = change.value as string;
    }
  }
  return next;
}

function setAttribute(image: Image, name: WritableName, value: unknown, opts: ApplyOptions): void {
  if (name === 'owner' && !opts.isAdmin) throw new Forbidden("Owner can't be updated by non admin.");
  if ((name === 'disk_format' || name === 'container_format') && image.status !== 'queued' && value !== image[WRITABLE[name]]) {
    throw new Forbidden(`Attribute ${name} can be only replaced for a queued image.`);
  }
  if ((name === 'min_ram' || name === 'min_disk') && (value as number) < 0) throw new BadRequest(`Cannot be a negative value: ${name}.`);
  if (name === 'tags') image.tags = [...new Set(value as string[])];
  else (image as unknown as Record<string, unknown>)[WRITABLE[name]] = value;
}
