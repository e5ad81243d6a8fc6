// Turns a parsed PolicyNode into a closure, so enforcement on the request path is plain function calls and lookups.
import type { Literal, Operand, PolicyNode, TemplatePart } from './rule-ast.ts';
import type { PolicySubject } from './credentials-view.ts';

export type Target = Readonly<Record<string, unknown>>;
export type Evaluator = (subject: PolicySubject, target: Target) => boolean;

/**
 * Compiles `node`. `compiled` must look up the evaluator of every rule the node refers to (the enforcer
 * compiles rules dependencies-first, so a reference is a direct call, not a lookup per check).
 */
export function compileRule(node: PolicyNode, compiled: (name: string) => Evaluator): Evaluator {
  switch (node.type) {
    case 'always': return () => true;
    case 'never': return () => false;
    case 'rule': return compiled(node.name);
    case 'role': return compileRole(node.role);
    case 'match': return compileMatch(node.left, node.right);
    case 'not': {
      const inner = compileRule(node.operand, compiled);
      return (s, t) => !inner(s, t);
    }
    case 'and': {
      const fns = node.operands.map((n) => compileRule(n, compiled));
      if (fns.length === 2) { const [a, b] = fns; return (s, t) => a(s, t) && b(s, t); }
      return (s, t) => fns.every((f) => f(s, t));
    }
    case 'or': {
      const fns = node.operands.map((n) => compileRule(n, compiled));
      if (fns.length === 2) { const [a, b] = fns; return (s, t) => a(s, t) || b(s, t); }
      return (s, t) => fns.some((f) => f(s, t));
    }
  }
}

// Values are compared as oslo.policy does, by their Python str(): True/False spelled that way, numbers as text.
// A null target value only equals the literal `None`; a missing or null credential never equals anything, so
// `domain_id:%(domain_id)s` cannot pass merely because neither side has a domain.
const NONE = Symbol('None');
type Key = string | typeof NONE | undefined;

function scalarKey(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

function literalKey(v: Literal): Key {
  return v === null ? NONE : scalarKey(v);
}

/** A getter for a dotted path; a flat key with dots (`'target.user.id'`) wins, then nested own properties. */
function pathGetter(path: string): (root: Target) => unknown {
  const segs = path.split('.');
  if (segs.length === 1) return (root) => (Object.hasOwn(root, path) ? root[path] : undefined);
  return (root) => {
    if (Object.hasOwn(root, path)) return root[path];
    let v: unknown = root;
    for (const seg of segs) {
      if (typeof v !== 'object' || v === null || !Object.hasOwn(v, seg)) return undefined;
      v = (v as Record<string, unknown>)[seg];
    }
    return v;
  };
}

/** Resolves `%(...)s` parts against a target; undefined when a key is missing or not a scalar. */
function compileTemplate(parts: TemplatePart[]): (target: Target) => Key {
  if (parts.length === 1 && 'path' in parts[0]) {
    const get = pathGetter(parts[0].path);
    return (t) => { const v = get(t); return v === null ? NONE : scalarKey(v); };
  }
  const pieces = parts.map((p) => ('path' in p ? pathGetter(p.path) : p.text));
  return (t) => {
    let out = '';
    for (const piece of pieces) {
      if (typeof piece === 'string') { out += piece; continue; }
      const key = scalarKey(piece(t));
      if (key === undefined) return undefined;
      out += key;
    }
    return out;
  };
}

function compileRole(role: Operand): Evaluator {
  if (role.kind === 'literal') {
    const name = String(role.value).toLowerCase();
    return (s) => s.roles.has(name);
  }
  if (role.kind === 'credential') throw new Error('role checks take a name or a target substitution');
  const resolve = compileTemplate(role.parts);
  return (s, t) => { const name = resolve(t); return typeof name === 'string' && s.roles.has(name.toLowerCase()); };
}

/** A credential equals `key` when it is that scalar, or a list (like `roles`) containing it. */
function credentialMatches(v: unknown, key: Key): boolean {
  if (key === undefined || key === NONE) return false;
  if (Array.isArray(v)) return v.some((x) => scalarKey(x) === key);
  return scalarKey(v) === key;
}

function compileMatch(left: Operand, right: Operand): Evaluator {
  if (right.kind === 'credential') throw new Error('credential paths belong left of the colon');
  const rightKey = right.kind === 'literal' ? literalKey(right.value) : undefined;
  const resolve = right.kind === 'target' ? compileTemplate(right.parts) : () => rightKey;
  if (left.kind === 'literal') {
    const leftKey = literalKey(left.value);
    if (right.kind === 'literal') { const same = leftKey === rightKey; return () => same; }
    return (_s, t) => resolve(t) === leftKey;
  }
  if (left.kind !== 'credential') throw new Error('target substitutions belong right of the colon');
  const get = pathGetter(left.path);
  if (right.kind === 'literal') return (s) => credentialMatches(get(s.view), rightKey);
  return (s, t) => credentialMatches(get(s.view), resolve(t));
}
