// The error a malformed check string raises, naming the rule so an operator can find it in a policy file.

export class PolicyParseError extends Error {
  readonly ruleName: string;
  readonly ruleText: string;
  readonly position: number;
  constructor(ruleName: string, ruleText: string, reason: string, position: number) {
    super(`Invalid policy rule "${ruleName}": ${reason} at position ${position} in "${ruleText}"`);
    this.name = 'PolicyParseError';
    this.ruleName = ruleName;
    this.ruleText = ruleText;
    this.position = position;
  }
}

/** Raises a PolicyParseError for the rule being parsed; `never` so callers can use it in expressions. */
export type ParseFail = (reason: string, position: number) => never;
