// Reads the one configuration file (stratus.yaml): a map of sections, each a map of options.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type ConfigFile = Record<string, Record<string, unknown>>;

export function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return {};
  const doc = parse(readFileSync(path, 'utf8')) as unknown;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${path}: expected a map of sections`);
  for (const [name, section] of Object.entries(doc)) {
    if (section !== null && (typeof section !== 'object' || Array.isArray(section))) {
      throw new Error(`${path}: section ${name} must be a map of options`);
    }
  }
  return doc as ConfigFile;
}
