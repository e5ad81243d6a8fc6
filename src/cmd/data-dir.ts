// The data directory's layout: config file, databases, keys and the secrets written on first start.
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';

export interface DataDir {
  root: string;
  configFile: string;
  dbDir: string;
  keysDir: string;
  logsDir: string;
}

export function dataDir(root = process.env.STRATUS_DATA_DIR ?? './data'): DataDir {
  const abs = resolve(root);
  const d = { root: abs, configFile: join(abs, 'stratus.yaml'), dbDir: join(abs, 'db'), keysDir: join(abs, 'keys'), logsDir: join(abs, 'logs') };
  for (const dir of [d.root, d.dbDir, d.logsDir]) mkdirSync(dir, { recursive: true });
  mkdirSync(d.keysDir, { recursive: true, mode: 0o700 });
  if (!existsSync(d.configFile)) {
    writeFileSync(d.configFile, [
      '# Stratus configuration. Each section holds one service\'s options; environment variables',
      '# STRATUS_<SECTION>_<OPTION> (STRATUS_<OPTION> for the stratus section) override them.',
      'stratus: {}',
      'identity: {}',
      '',
    ].join('\n'));
  }
  return d;
}

/** Writes a file atomically with the given mode, so a crash never leaves half a secret behind. */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Service users' passwords, created by the identity bootstrap and read by every service that authenticates. */
export function readServiceSecrets(d: DataDir): Record<string, string> {
  const file = join(d.keysDir, 'service-users.yaml');
  return existsSync(file) ? (parse(readFileSync(file, 'utf8')) as Record<string, string>) ?? {} : {};
}

export function addServiceSecrets(d: DataDir, secrets: Record<string, string>): void {
  if (Object.keys(secrets).length === 0) return;
  writePrivateFile(join(d.keysDir, 'service-users.yaml'), stringify({ ...readServiceSecrets(d), ...secrets }));
}

/**
 * A secret two services share (the metadata proxy signs what the metadata API checks): the configured value, else the
 * one generated here on first use and kept in keys/shared-secrets.yaml, so every role of this data directory agrees.
 */
export function sharedSecret(d: DataDir, name: string): string {
  const file = join(d.keysDir, 'shared-secrets.yaml');
  const have = existsSync(file) ? (parse(readFileSync(file, 'utf8')) as Record<string, string>) ?? {} : {};
  if (have[name]) return have[name];
  const secret = randomBytes(24).toString('base64url');
  writePrivateFile(file, stringify({ ...have, [name]: secret }));
  return secret;
}
