// Flavor extra spec validation as Nova does it from microversion 2.86: a key Nova knows must have a value of its type
// and range; an unknown key in a namespace Nova knows (`hw:cpu_polcy`) is refused; any other key (`custom:foo`,
// `mykey`) is the operator's own and passes. Messages are Nova's, which clients show as they are.
import { BadRequest } from '#lib/errors.ts';
import { KNOWN_EXTRA_SPECS } from './extra-spec-rules.ts';
import type { SpecRule, ValueRule } from './extra-spec-rules.ts';

interface CompiledRule {
  name: RegExp;
  value: ValueRule;
  /** A str rule's pattern, compiled to match the whole value (Nova's re.fullmatch). */
  pattern?: RegExp;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const whole = (source: string): RegExp => new RegExp(`^(?:${source})$`, 'u');

/** `hw:numa_cpus.{num}` → the regex source with each `{param}` replaced by its pattern, the rest literal. */
function nameSource(r: SpecRule): string {
  return r.name.split(/(\{\w+\})/).map((part) => {
    const param = /^\{(\w+)\}$/.exec(part)?.[1];
    return param !== undefined && r.params?.[param] !== undefined ? `(${r.params[param]})` : escapeRegExp(part);
  }).join('');
}

const exact = new Map<string, CompiledRule>();
const patterned: CompiledRule[] = [];
/** The namespaces (what precedes the first `:`) of the known keys, as regexes: `hw`, `resources(group)?`, … */
const namespaces: RegExp[] = [];

for (const r of KNOWN_EXTRA_SPECS) {
  const compiled: CompiledRule = { name: whole(nameSource(r)), value: r.value, pattern: r.value.type === 'str' && r.value.pattern ? whole(r.value.pattern) : undefined };
  if (r.params) patterned.push(compiled);
  else exact.set(r.name, compiled);
  const colon = r.name.indexOf(':');
  if (colon >= 0) {
    const ns = whole(nameSource({ ...r, name: r.name.slice(0, colon) }));
    if (!namespaces.some((n) => n.source === ns.source)) namespaces.push(ns);
  }
}

const fail = (detail: string): BadRequest => new BadRequest(`Validation failed; ${detail}`);

/** Python's int(): optional sign, digits with single underscores between them, surrounding whitespace. */
const INTEGER = /^\s*[+-]?\d+(?:_\d+)*\s*$/;
/** oslo's bool_from_string(strict=True), after it strips and lower-cases. */
const BOOLEAN_LIKE = new Set(['1', 't', 'true', 'on', 'y', 'yes', '0', 'f', 'false', 'off', 'n', 'no']);

function checkValue({ value: rule, pattern }: CompiledRule, value: string): void {
  if (rule.type === 'int') {
    if (!INTEGER.test(value)) throw fail(`'${value}' is not a valid integer value.`);
    const n = BigInt(value.trim().replaceAll('_', ''));
    if (rule.max !== undefined && n > BigInt(rule.max)) throw fail(`'${n}' is greater than the max value of '${rule.max}'.`);
    if (rule.min !== undefined && n < BigInt(rule.min)) throw fail(`'${n}' is less than the min value of '${rule.min}'.`);
  } else if (rule.type === 'bool') {
    if (!BOOLEAN_LIKE.has(value.trim().toLowerCase())) throw fail(`'${value}' is not a valid boolean-like value.`);
  } else if (pattern && rule.pattern !== undefined) {
    if (!pattern.test(value)) throw fail(`'${value}' is not of the format '${rule.pattern}'.`);
  } else if (rule.enum && !rule.enum.includes(value)) {
    throw fail(`'${value}' is not one of: ${rule.enum.join(', ')}.`);
  }
}

/** Throws Nova's 400 when `name`=`value` is not a valid extra spec; returns for a valid or unknown-namespace one. */
export function validateExtraSpec(name: string, value: string): void {
  const rule = exact.get(name) ?? patterned.find((r) => r.name.test(name));
  if (rule) return checkValue(rule, value);
  const colon = name.indexOf(':');
  if (colon < 0) return;
  const namespace = name.slice(0, colon);
  if (namespaces.some((ns) => ns.test(namespace))) throw fail(`extra spec '${name}' does not appear to be a valid extra spec.`);
}

/** Validates every spec of a request, the first bad one answering. */
export function validateExtraSpecs(specs: Record<string, string>): void {
  for (const [name, value] of Object.entries(specs)) validateExtraSpec(name, value);
}
