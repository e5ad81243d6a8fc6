// The policy enforcer every service builds once from its rule defaults and the operator's overrides.
import { Forbidden } from '../errors.ts';
import type { Credentials } from '../context.ts';
import { policySubject } from './credentials-view.ts';
import { compileRule } from './compile-rule.ts';
import type { Evaluator, Target } from './compile-rule.ts';
import { parseRule } from './parse-rule.ts';
import { ruleReferences } from './rule-ast.ts';
import type { PolicyNode } from './rule-ast.ts';

export type ScopeType = 'system' | 'domain' | 'project';

/** A default rule as a service declares it, in the shape of oslo.policy's DocumentedRuleDefault. */
export interface PolicyRule {
  name: string;
  check: string;
  description: string;
  operations?: { method: string; path: string }[];
  /** When set, a token whose scope is not listed is refused whatever the check says (enforce_scope=True). */
  scopeTypes?: ScopeType[];
}

export interface PolicyEnforcerOptions {
  rules: PolicyRule[];
  /** Check strings by rule name, usually from loadPolicyFile; a name with no default adds a helper rule. */
  overrides?: Record<string, string>;
}

export interface PolicyEnforcer {
  /** Throws Forbidden when `credentials` may not perform `ruleName` on `target`; throws Error for an unknown rule. */
  enforce(ruleName: string, credentials: Credentials | undefined, target: Target): void;
  /** Like enforce, but answers instead of throwing Forbidden (for filtering lists). */
  allowed(ruleName: string, credentials: Credentials | undefined, target: Target): boolean;
  /** The effective check string of every rule, overrides applied. */
  rules(): Record<string, string>;
}

type Entry = { check: string; scopeTypes?: readonly string[] };
type CompiledRule = { evaluate: Evaluator; scopeTypes?: readonly string[] };

/**
 * Parses and compiles every rule once. Throws (at start-up, not on a request) when a check string is
 * malformed, a rule is declared twice, a `rule:` reference names no rule, or references form a cycle.
 */
export function createPolicyEnforcer(opts: PolicyEnforcerOptions): PolicyEnforcer {
  const entries = new Map<string, Entry>();
  for (const rule of opts.rules) {
    if (entries.has(rule.name)) throw new Error(`Policy rule "${rule.name}" is declared twice`);
    if (rule.scopeTypes && rule.scopeTypes.length === 0) throw new Error(`Policy rule "${rule.name}" has empty scopeTypes`);
    entries.set(rule.name, { check: rule.check, scopeTypes: rule.scopeTypes });
  }
  for (const [name, check] of Object.entries(opts.overrides ?? {})) {
    if (typeof check !== 'string') throw new Error(`Policy override for "${name}" is not a string`);
    entries.set(name, { check, scopeTypes: entries.get(name)?.scopeTypes });
  }

  const parsed = new Map<string, PolicyNode>();
  for (const [name, entry] of entries) parsed.set(name, parseRule(entry.check, name));

  const compiled = new Map<string, CompiledRule>();
  const lookup = (name: string): Evaluator => {
    const rule = compiled.get(name);
    if (!rule) throw new Error(`Policy rule "${name}" compiled before its dependency`);
    return rule.evaluate;
  };
  for (const name of dependenciesFirst(parsed)) {
    compiled.set(name, { evaluate: compileRule(parsed.get(name)!, lookup), scopeTypes: entries.get(name)!.scopeTypes });
  }

  const allowed = (ruleName: string, credentials: Credentials | undefined, target: Target): boolean => {
    const rule = compiled.get(ruleName);
    if (!rule) throw new Error(`Unknown policy rule "${ruleName}"`);
    const subject = policySubject(credentials);
    if (rule.scopeTypes && !rule.scopeTypes.includes(subject.scope)) return false;
    return rule.evaluate(subject, target ?? {});
  };

  return {
    allowed,
    enforce(ruleName, credentials, target) {
      if (!allowed(ruleName, credentials, target)) throw new Forbidden(`Policy doesn't allow ${ruleName} to be performed.`);
    },
    rules() {
      return Object.fromEntries([...entries].map(([name, entry]) => [name, entry.check]));
    },
  };
}

/** Orders rule names so every rule comes after the rules it references; rejects undefined names and cycles. */
function dependenciesFirst(parsed: Map<string, PolicyNode>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name].join(' -> ');
      throw new Error(`Policy rules form a cycle: ${cycle}`);
    }
    state.set(name, 'visiting');
    for (const ref of ruleReferences(parsed.get(name)!)) {
      if (!parsed.has(ref)) throw new Error(`Policy rule "${name}" refers to undefined rule "${ref}"`);
      visit(ref, [...path, name]);
    }
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of parsed.keys()) visit(name, []);
  return order;
}
