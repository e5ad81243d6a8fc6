// The policy engine's public face: services import from here, never from the files behind it.
export { createPolicyEnforcer } from './enforcer.ts';
export type { PolicyEnforcer, PolicyEnforcerOptions, PolicyRule, ScopeType } from './enforcer.ts';
export { credentialsView } from './credentials-view.ts';
export type { CredentialsView } from './credentials-view.ts';
export { loadPolicyFile } from './policy-file.ts';
export { parseRule } from './parse-rule.ts';
export { PolicyParseError } from './parse-error.ts';
export type { PolicyNode, Operand, Literal, TemplatePart } from './rule-ast.ts';
export { baseRules, RULE } from './base-rules.ts';
