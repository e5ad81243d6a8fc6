// Request validation against the JSON schema of the negotiated microversion (Placement's schemas change with the
// version, so a route picks its schema after negotiation), with messages in the words of Placement's validator.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { BadRequest } from '#lib/errors.ts';
import { queryDuplicateKey } from '../domain/errors.ts';

export type Schema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: false, strict: false, verbose: true, coerceTypes: false, useDefaults: false });
const compiled = new WeakMap<Schema, ValidateFunction>();

function validator(schema: Schema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(schema)));
  return v;
}

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** One line saying what is wrong and where, as Python's jsonschema words it. */
function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const at = e.instancePath ? ` (at ${e.instancePath.slice(1).replaceAll('/', '.')})` : '';
  switch (e.keyword) {
    case 'required': return `'${String(p.missingProperty)}' is a required property${at}`;
    case 'additionalProperties': return `Additional properties are not allowed ('${String(p.additionalProperty)}' was unexpected)${at}`;
    case 'minimum': return `${show(e.data)} is less than the minimum of ${String(p.limit)}${at}`;
    case 'maximum': return `${show(e.data)} is greater than the maximum of ${String(p.limit)}${at}`;
    case 'type': return `${show(e.data)} is not of type '${[p.type].flat().join("', '")}'${at}`;
    case 'pattern': return `${show(e.data)} does not match '${String(p.pattern)}'${at}`;
    case 'maxLength': return `${show(e.data)} is too long${at}`;
    case 'minLength': return `${show(e.data)} is too short${at}`;
    case 'minProperties': return `${show(e.data)} does not have enough properties${at}`;
    case 'minItems': return `${show(e.data)} is too short${at}`;
    case 'uniqueItems': return `${show(e.data)} has non-unique elements${at}`;
    case 'enum': return `${show(e.data)} is not one of ${JSON.stringify(p.allowedValues)}${at}`;
    default: return `${e.message ?? 'invalid'}${at}`;
  }
}

/** Validates a JSON body; 400 "JSON does not validate: …" otherwise. Returns the body typed as T. */
export function validBody<T>(schema: Schema, body: unknown): T {
  if (body === undefined) throw new BadRequest('Malformed JSON: the request has no body; a JSON document is required.');
  const v = validator(schema);
  if (!v(body)) throw new BadRequest(`JSON does not validate: ${describe(v.errors![0])}`);
  return body as T;
}

export type Query = Record<string, string | string[] | undefined>;

/**
 * Validates a query string. Keys outside `repeatable` may appear once (400 placement.query.duplicate_key otherwise);
 * the schema sees repeatable keys as arrays and the others as strings.
 */
export function validQuery(schema: Schema, query: unknown, repeatable: (key: string) => boolean = () => false): Query {
  const q: Query = {};
  for (const [key, value] of Object.entries((query ?? {}) as Query)) {
    const values = Array.isArray(value) ? value : [value as string];
    if (repeatable(key)) q[key] = values;
    else if (values.length > 1) throw queryDuplicateKey(`Query parameter '${key}' may be specified only once.`);
    else q[key] = values[0];
  }
  const v = validator(schema);
  if (!v(q)) throw new BadRequest(`Invalid query string parameters: ${describe(v.errors![0])}`);
  return q;
}

/** A query value that validQuery made a list (a repeatable key), or none. */
export const listOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
