// The time filters of Nova's lists (changes-since, changes-before): ISO 8601, a time without a zone is UTC.
import { BadRequest } from '#lib/errors.ts';

/** `v` as a stored ISO timestamp (UTC); a 400 in Nova's words when it is not a time. */
export function queryTime(field: string, v: string): string {
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`);
  if (Number.isNaN(t)) throw new BadRequest(`Invalid input for query parameters ${field}. Value: ${v}. '${v}' is not a 'date-time'`);
  return new Date(t).toISOString();
}

/** Both bounds, checked against each other as Nova does. */
export function timeBounds(since: string | undefined, before: string | undefined): { since?: string; before?: string } {
  const s = since === undefined ? undefined : queryTime('changes-since', since);
  const b = before === undefined ? undefined : queryTime('changes-before', before);
  if (s !== undefined && b !== undefined && s > b) throw new BadRequest('The value of changes-since must be less than or equal to changes-before.');
  return { since: s, before: b };
}
