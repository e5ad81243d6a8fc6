// Object Storage's policy rules as data. An account AUTH_<project> belongs to its project: its members (and cloud
// admins) read and write everything in it, its readers only read. Container ACLs and TempURLs grant the rest.
import { baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

const r = (name: string, check: string, description: string): PolicyRule => ({ name, check, description });

export const objectStoragePolicy: PolicyRule[] = [
  ...baseRules,
  r('object_storage:account:read', 'role:admin or ((role:reader or role:service) and project_id:%(project_id)s)', 'Read an account, its containers and objects (HEAD, GET, listings).'),
  r('object_storage:account:write', 'role:admin or ((role:member or role:service) and project_id:%(project_id)s)',
    'Change an account, its containers and objects, and see and set ACLs (members, and service users in their own project, as Image does).'),
];
