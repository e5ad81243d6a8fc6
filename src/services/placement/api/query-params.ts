// Parsers for the filter syntaxes Placement's query strings share: resources=, required=, member_of=, in_tree=.
import { BadRequest } from '#lib/errors.ts';
import { normalizeUuid } from './deps.ts';

const FORM = '?resources=VCPU:2,MEMORY_MB:1024';

/** "VCPU:2,MEMORY_MB:1024" → amounts by class; 400 with Placement's wording when malformed. */
export function parseResources(value: string, key = 'resources'): Map<string, number> {
  if (value.trim() === '') {
    throw new BadRequest(`Badly formed ${key} parameter. Expected ${key} query string parameter in form: ${FORM}. Got: empty string.`);
  }
  const out = new Map<string, number>();
  for (const part of value.split(',')) {
    const pieces = part.split(':');
    if (pieces.length !== 2) throw new BadRequest(`Badly formed ${key} parameter. Expected ${key} query string parameter in form: ${FORM}. Got: ${part}.`);
    const [rc, amountText] = [pieces[0].trim(), pieces[1].trim()];
    if (!/^[+-]?\d+$/.test(amountText)) throw new BadRequest(`Requested resource ${rc} expected positive integer amount. Got: ${amountText}.`);
    const amount = Number(amountText);
    if (amount < 1) throw new BadRequest(`Requested resource ${rc} requires amount >= 1. Got: ${amount}.`);
    if (!Number.isSafeInteger(amount)) throw new BadRequest(`Requested resource ${rc} expected positive integer amount. Got: ${amountText}.`);
    out.set(rc, amount);
  }
  return out;
}

export interface TraitsQuery {
  required: string[][];
  forbidden: Set<string>;
}

/**
 * required= values: "A,!B" (forbidden from 1.22) or "in:A,B" (any of, from 1.39, when the key may also repeat).
 * Before 1.39 only the last value counts, as in Placement.
 */
export function parseRequired(values: string[], minor: number): TraitsQuery {
  const allowForbidden = minor >= 22;
  const allowAny = minor >= 39;
  const out: TraitsQuery = { required: [], forbidden: new Set() };
  for (const value of allowAny ? values : values.slice(-1)) {
    if (value.startsWith('in:')) {
      if (!allowAny) throw new BadRequest(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' only supported since microversion 1.39. Got: ${value}`);
      const anyOf = value.slice(3).split(',').map((t) => t.trim());
      if (anyOf.some((t) => t === '')) throw new BadRequest(`Invalid query string parameters: Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got an empty trait in: ${value}`);
      if (anyOf.some((t) => t.startsWith('!'))) throw new BadRequest(`Invalid query string parameters: The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' does not support forbidden traits. Got: ${value}`);
      out.required.push([...new Set(anyOf)]);
      continue;
    }
    const traits = value.split(',').map((t) => t.trim());
    const form = allowForbidden ? 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' : 'HW_CPU_X86_VMX,CUSTOM_MAGIC';
    if (traits.some((t) => t.replace(/^!+/, '') === '')) {
      throw new BadRequest(`Invalid query string parameters: Expected 'required' parameter value of the form: ${form}. Got an empty trait in: ${value}`);
    }
    for (const t of traits) {
      if (t.startsWith('!')) {
        if (!allowForbidden) throw new BadRequest(`Invalid query string parameters: Expected 'required' parameter value of the form: ${form}. Got: ${value}`);
        out.forbidden.add(t.replace(/^!+/, ''));
      } else {
        out.required.push([t]);
      }
    }
  }
  return out;
}

export interface AggregatesQuery {
  memberOf: string[][];
  forbidden: Set<string>;
}

/** member_of= values: a uuid, "in:a,b", "!a" or "!in:a,b" (forbidden from 1.32); repeated keys AND'd from 1.24. */
export function parseMemberOf(values: string[], minor: number, key = 'member_of'): AggregatesQuery {
  if (values.length > 1 && minor < 24) throw new BadRequest(`Multiple ${key} parameters are not supported`);
  const out: AggregatesQuery = { memberOf: [], forbidden: new Set() };
  for (const value of values) {
    if (value.includes(',') && !value.startsWith('in:') && !value.startsWith('!in:')) {
      throw new BadRequest(`Multiple values for '${key}' must be prefixed with the 'in:' or '!in:' keyword using the valid microversion. Got: ${value}`);
    }
    const negated = value.startsWith('!');
    if (negated && minor < 32) throw new BadRequest(`Forbidden ${key} parameters are not supported in the specified microversion`);
    const body = value.replace(/^!/, '');
    const list = (body.startsWith('in:') ? body.slice(3).split(',') : [body]).map((a) => {
      const uuid = normalizeUuid(a.trim());
      if (!uuid) throw new BadRequest(`Invalid query string parameters: Expected '${key}' parameter to contain valid UUID(s). Got: ${a}`);
      return uuid;
    });
    if (negated) for (const a of list) out.forbidden.add(a);
    else out.memberOf.push(list);
  }
  return out;
}

export function parseInTree(value: string, key = 'in_tree'): string {
  const uuid = normalizeUuid(value.trim());
  if (!uuid) throw new BadRequest(`Invalid query string parameters: Expected '${key}' parameter to be a format of uuid. Got: ${value}`);
  return uuid;
}
