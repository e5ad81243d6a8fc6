// Parses one check atom (`@`, `!`, `role:x`, `rule:x`, `field:value`) of a check string into a policy node.
import type { Literal, Operand, PolicyNode, TemplatePart } from './rule-ast.ts';
import type { ParseFail } from './parse-error.ts';

const ALWAYS: PolicyNode = { type: 'always' };
const NEVER: PolicyNode = { type: 'never' };

/** `atom` is one token from the tokenizer; `pos` is where it starts in the whole rule, for error messages. */
export function parseCheck(atom: string, pos: number, fail: ParseFail): PolicyNode {
  if (atom === '@') return ALWAYS;
  if (atom === '!') return NEVER;
  const colon = firstColonOutsideQuotes(atom);
  if (colon <= 0 || colon === atom.length - 1) {
    return fail(`'${atom}' is not a check (expected kind:match, '@' or '!')`, pos);
  }
  const kind = atom.slice(0, colon);
  const match = atom.slice(colon + 1);
  const matchPos = pos + colon + 1;
  if (kind === 'rule') {
    if (/['"%()]/.test(match)) fail(`'${match}' is not a rule name`, matchPos);
    return { type: 'rule', name: match };
  }
  if (kind === 'role') return { type: 'role', role: parseRole(match, matchPos, fail) };
  return { type: 'match', left: parseLeft(kind, pos, fail), right: parseRight(match, matchPos, fail) };
}

function firstColonOutsideQuotes(atom: string): number {
  let quote = '';
  for (let i = 0; i < atom.length; i++) {
    const c = atom[i];
    if (quote) { if (c === quote) quote = ''; } else if (c === "'" || c === '"') quote = c;
    else if (c === ':') return i;
  }
  return -1;
}

function isQuoted(s: string): boolean {
  return s.length >= 2 && (s[0] === "'" || s[0] === '"') && s[s.length - 1] === s[0];
}

/** Bare words that oslo.policy (through Python's literal_eval) reads as constants rather than strings. */
function keyword(word: string): Literal | undefined {
  if (word === 'True') return true;
  if (word === 'False') return false;
  if (word === 'None') return null;
  return undefined;
}

/** Left of the colon: a literal (`'member'`, `True`, `42`) or a dotted credentials path (`token.project.id`). */
function parseLeft(kind: string, pos: number, fail: ParseFail): Operand {
  if (isQuoted(kind)) return { kind: 'literal', value: kind.slice(1, -1) };
  const constant = keyword(kind);
  if (constant !== undefined) return { kind: 'literal', value: constant };
  if (/^-?\d+(\.\d+)?$/.test(kind)) return { kind: 'literal', value: kind };
  if (kind.includes('%(')) fail(`substitutions belong right of the colon, not in '${kind}'`, pos);
  if (/['"]/.test(kind)) fail(`unbalanced quotes in '${kind}'`, pos);
  if (kind.split('.').some((seg) => seg === '')) fail(`'${kind}' is not a credential path`, pos);
  return { kind: 'credential', path: kind };
}

/** Right of the colon: a quoted or bare literal, `True`/`False`/`None`, or `%(target.path)s` substitutions. */
function parseRight(match: string, pos: number, fail: ParseFail): Operand {
  if (isQuoted(match)) return { kind: 'literal', value: match.slice(1, -1) };
  if (/['"]/.test(match)) fail(`unbalanced quotes in '${match}'`, pos);
  const constant = keyword(match);
  if (constant !== undefined) return { kind: 'literal', value: constant };
  if (match.includes('%(')) return { kind: 'target', parts: parseTemplate(match, pos, fail) };
  return { kind: 'literal', value: match };
}

/** A role is always compared as a name, so `role:True` means the role called "True". */
function parseRole(match: string, pos: number, fail: ParseFail): Operand {
  if (isQuoted(match)) return { kind: 'literal', value: match.slice(1, -1) };
  if (/['"]/.test(match)) fail(`unbalanced quotes in '${match}'`, pos);
  if (match.includes('%(')) return { kind: 'target', parts: parseTemplate(match, pos, fail) };
  return { kind: 'literal', value: match };
}

function parseTemplate(match: string, pos: number, fail: ParseFail): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  while (i < match.length) {
    const open = match.indexOf('%(', i);
    if (open < 0) { parts.push({ text: match.slice(i) }); break; }
    if (open > i) parts.push({ text: match.slice(i, open) });
    const close = match.indexOf(')', open + 2);
    if (close < 0) fail(`unterminated substitution in '${match}'`, pos + open);
    if (match[close + 1] !== 's') fail(`expected '%(name)s' in '${match}'`, pos + open);
    const path = match.slice(open + 2, close);
    if (path === '' || path.split('.').some((seg) => seg === '')) fail(`'${path}' is not a target path`, pos + open);
    parts.push({ path });
    i = close + 2;
  }
  return parts;
}
