// The parsed form of an oslo.policy check string: parse-rule.ts builds it once, compile-rule.ts turns it into a closure.

/** A constant in a check string: a bare or quoted word, `True`/`False`, or `None`. */
export type Literal = string | boolean | null;

/** A right-hand side such as `%(target.project.id)s`, possibly with literal text around the substitutions. */
export type TemplatePart = { text: string } | { path: string };

export type Operand =
  | { kind: 'literal'; value: Literal }
  /** A dotted path into the credentials view (left of the colon). */
  | { kind: 'credential'; path: string }
  /** `%(dotted.path)s` substitutions from the target (right of the colon). */
  | { kind: 'target'; parts: TemplatePart[] };

export type PolicyNode =
  | { type: 'always' }
  | { type: 'never' }
  | { type: 'role'; role: Operand }
  | { type: 'rule'; name: string }
  | { type: 'match'; left: Operand; right: Operand }
  | { type: 'not'; operand: PolicyNode }
  | { type: 'and'; operands: PolicyNode[] }
  | { type: 'or'; operands: PolicyNode[] };

/** Names of every `rule:<name>` a node refers to, in order of appearance (duplicates kept). */
export function ruleReferences(node: PolicyNode): string[] {
  switch (node.type) {
    case 'rule': return [node.name];
    case 'not': return ruleReferences(node.operand);
    case 'and':
    case 'or': return node.operands.flatMap(ruleReferences);
    default: return [];
  }
}
