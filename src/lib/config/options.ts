// Configuration declared as data: each service lists its options (type, default, limits, help) and gets typed values back.
import { BadRequest } from '../errors.ts';

export type OptionSpec =
  | { type: 'string'; default: string; help: string; choices?: readonly string[] }
  | { type: 'number'; default: number; help: string; min?: number; max?: number }
  | { type: 'boolean'; default: boolean; help: string }
  | { type: 'list'; default: readonly string[]; help: string };

export type OptionSet = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> =
  S extends { type: 'string' } ? string :
  S extends { type: 'number' } ? number :
  S extends { type: 'boolean' } ? boolean :
  string[];

export type OptionValues<T extends OptionSet> = { [K in keyof T]: ValueOf<T[K]> };

/**
 * Environment variable that overrides an option: STRATUS_<SECTION>_<OPTION>, upper-cased, dashes as underscores.
 * The cloud-wide section is named `stratus`, and its options are STRATUS_<OPTION>.
 */
export function envName(section: string, option: string): string {
  const name = section === 'stratus' ? `STRATUS_${option}` : `STRATUS_${section}_${option}`;
  return name.toUpperCase().replace(/[-.]/g, '_');
}

function coerce(section: string, name: string, spec: OptionSpec, raw: unknown): unknown {
  const where = `option ${section}.${name}`;
  switch (spec.type) {
    case 'string': {
      const v = String(raw);
      if (spec.choices && !spec.choices.includes(v)) throw new BadRequest(`${where} must be one of ${spec.choices.join(', ')}; got ${v}`);
      return v;
    }
    case 'number': {
      const v = typeof raw === 'number' ? raw : Number(String(raw).trim());
      if (!Number.isFinite(v)) throw new BadRequest(`${where} must be a number; got ${String(raw)}`);
      if (spec.min !== undefined && v < spec.min) throw new BadRequest(`${where} must be >= ${spec.min}; got ${v}`);
      if (spec.max !== undefined && v > spec.max) throw new BadRequest(`${where} must be <= ${spec.max}; got ${v}`);
      return v;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw new BadRequest(`${where} must be a boolean; got ${String(raw)}`);
    }
    case 'list':
      if (Array.isArray(raw)) return raw.map(String);
      return String(raw).split(',').map((s) => s.trim()).filter(Boolean);
  }
}

/**
 * Resolves a section's options: defaults, then the config file's section, then environment variables.
 * Unknown keys in the file section are an error, so a typo does not silently fall back to a default.
 */
export function resolveOptions<T extends OptionSet>(
  section: string,
  spec: T,
  fileSection: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): OptionValues<T> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fileSection ?? {})) {
    if (!(key in spec)) throw new BadRequest(`unknown option ${section}.${key} in the configuration file`);
  }
  for (const [name, optSpec] of Object.entries(spec)) {
    let value: unknown = optSpec.default;
    if (fileSection && fileSection[name] !== undefined && fileSection[name] !== null) value = fileSection[name];
    const fromEnv = env[envName(section, name)];
    if (fromEnv !== undefined) value = fromEnv;
    out[name] = coerce(section, name, optSpec, value);
  }
  return out as OptionValues<T>;
}
