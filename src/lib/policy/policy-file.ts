// Reads an operator's policy file (YAML or JSON, as oslo.policy accepts) into rule overrides.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * Returns the file's `name: check string` pairs. An empty file means no overrides. Throws, naming the
 * file, when it is not valid YAML/JSON, not a mapping, or a value is not a string. Check strings are
 * validated later, when createPolicyEnforcer parses them.
 */
export function loadPolicyFile(path: string): Record<string, string> {
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    // JSON is YAML, so one parser reads both formats.
    doc = parse(text);
  } catch (err) {
    throw new Error(`Policy file ${path} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`Policy file ${path} must hold a mapping of rule names to check strings`);
  const overrides: Record<string, string> = {};
  for (const [name, check] of Object.entries(doc)) {
    if (typeof check !== 'string') throw new Error(`Policy file ${path}: rule "${name}" must be a string, got ${JSON.stringify(check)}`);
    overrides[name] = check;
  }
  return overrides;
}
