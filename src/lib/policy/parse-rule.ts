// Parses an oslo.policy check string into a PolicyNode once, so enforcement never re-reads the text.
import type { PolicyNode } from './rule-ast.ts';
import { PolicyParseError } from './parse-error.ts';
import type { ParseFail } from './parse-error.ts';
import { parseCheck } from './parse-check.ts';

type Token = { kind: '(' | ')' | 'and' | 'or' | 'not' | 'check'; text: string; pos: number };

const ALWAYS: PolicyNode = { type: 'always' };

/**
 * Parses `text` (empty means always allow). Precedence is `not` > `and` > `or`; the keywords are
 * case-insensitive as in oslo.policy. Throws PolicyParseError naming `ruleName` on malformed input.
 */
export function parseRule(text: string, ruleName = '<inline>'): PolicyNode {
  const fail: ParseFail = (reason, position) => { throw new PolicyParseError(ruleName, text, reason, position); };
  const tokens = tokenize(text, fail);
  if (tokens.length === 0) return ALWAYS;
  let i = 0;

  const parseOr = (): PolicyNode => {
    const operands = [parseAnd()];
    while (i < tokens.length && tokens[i].kind === 'or') { i++; operands.push(parseAnd()); }
    return operands.length === 1 ? operands[0] : { type: 'or', operands };
  };
  const parseAnd = (): PolicyNode => {
    const operands = [parseNot()];
    while (i < tokens.length && tokens[i].kind === 'and') { i++; operands.push(parseNot()); }
    return operands.length === 1 ? operands[0] : { type: 'and', operands };
  };
  const parseNot = (): PolicyNode => {
    if (i < tokens.length && tokens[i].kind === 'not') { i++; return { type: 'not', operand: parseNot() }; }
    return parsePrimary();
  };
  const parsePrimary = (): PolicyNode => {
    if (i >= tokens.length) return fail('unexpected end of rule', text.length);
    const token = tokens[i++];
    if (token.kind === 'check') return parseCheck(token.text, token.pos, fail);
    if (token.kind !== '(') return fail(`unexpected '${token.text}'`, token.pos);
    const inner = parseOr();
    if (i >= tokens.length) return fail(`missing ')' for '(' at position ${token.pos}`, text.length);
    if (tokens[i].kind !== ')') return fail(`expected ')' but found '${tokens[i].text}'`, tokens[i].pos);
    i++;
    return inner;
  };

  const node = parseOr();
  if (i < tokens.length) fail(`unexpected '${tokens[i].text}'`, tokens[i].pos);
  return node;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** Splits on whitespace and parentheses, keeping quoted literals and `%(...)s` substitutions whole. */
function tokenize(text: string, fail: ParseFail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (isSpace(c)) { i++; continue; }
    if (c === '(' || c === ')') { tokens.push({ kind: c, text: c, pos: i }); i++; continue; }
    const start = i;
    while (i < text.length && !isSpace(text[i]) && text[i] !== '(' && text[i] !== ')') {
      if (text[i] === "'" || text[i] === '"') {
        const end = text.indexOf(text[i], i + 1);
        if (end < 0) fail('unterminated quoted literal', i);
        i = end + 1;
      } else if (text[i] === '%' && text[i + 1] === '(') {
        const end = text.indexOf(')', i + 2);
        if (end < 0) fail("unterminated '%(' substitution", i);
        i = end + 1;
      } else {
        i++;
      }
    }
    const word = text.slice(start, i);
    const lower = word.toLowerCase();
    const kind = lower === 'and' || lower === 'or' || lower === 'not' ? lower : 'check';
    tokens.push({ kind, text: word, pos: start });
  }
  return tokens;
}
