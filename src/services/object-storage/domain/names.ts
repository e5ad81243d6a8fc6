// Swift's limits on names and metadata (the /info constraints), checked before anything is written.
import { badRequest } from './errors.ts';

export const CONSTRAINTS = {
  max_file_size: 5 * 1024 ** 3,
  max_meta_name_length: 128,
  max_meta_value_length: 256,
  max_meta_count: 90,
  max_meta_overall_size: 4096,
  max_header_size: 8192,
  max_object_name_length: 1024,
  container_listing_limit: 10000,
  account_listing_limit: 10000,
  max_account_name_length: 256,
  max_container_name_length: 256,
  valid_api_versions: ['v1', 'v1.0'],
  extra_header_count: 0,
} as const;

/** Accounts are AUTH_<project id>; the project id is what the ACL and policy checks compare. */
export function projectOfAccount(account: string): string {
  const m = /^AUTH_([A-Za-z0-9_-]{1,64})$/.exec(account);
  if (!m) throw badRequest(`Invalid account name ${JSON.stringify(account)}: expected AUTH_<project id>.`);
  return m[1];
}

function checkText(kind: string, name: string, maxBytes: number): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) throw badRequest(`${kind} name is empty.`);
  if (bytes > maxBytes) throw badRequest(`${kind} name length of ${bytes} longer than ${maxBytes}`);
  if (name.includes('\0')) throw badRequest(`${kind} name contains a NUL character.`);
  if (!name.isWellFormed()) throw badRequest(`${kind} name is not valid UTF-8.`);
}

export function checkContainerName(name: string): void {
  checkText('Container', name, CONSTRAINTS.max_container_name_length);
  if (name.includes('/')) throw badRequest('Container name may not contain a /.');
  if ([...name].length > 255) throw badRequest('Container name is longer than 255 characters.');
}

/** Names are hashed, never used as paths; `.` and `..` segments are refused anyway, as HTTP clients rewrite them. */
export function checkObjectName(name: string): void {
  checkText('Object', name, CONSTRAINTS.max_object_name_length);
  if (name.split('/').some((s) => s === '.' || s === '..')) throw badRequest('Object name may not contain a . or .. path segment.');
}
