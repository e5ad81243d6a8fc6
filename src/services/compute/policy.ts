// Compute's policy rules as data, with Nova's rule names and secure-RBAC defaults, so an operator's Nova overrides
// apply unchanged. Flavors are cloud-wide: admins manage them; any authenticated caller reads the public ones.
import { baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

const ADMIN = 'rule:context_is_admin';
const ANY = '@';

const r = (name: string, check: string, description: string): PolicyRule => ({ name, check, description });

export const computePolicy: PolicyRule[] = [
  ...baseRules,
  r('os_compute_api:flavors:index', ANY, 'List flavors (private ones only to admins and projects with access).'),
  r('os_compute_api:flavors:show', ANY, 'Show a flavor the caller can see.'),
  r('os_compute_api:os-flavor-manage:create', ADMIN, 'Create a flavor.'),
  r('os_compute_api:os-flavor-manage:update', ADMIN, 'Update a flavor\'s description.'),
  r('os_compute_api:os-flavor-manage:delete', ADMIN, 'Delete a flavor.'),
  r('os_compute_api:os-flavor-extra-specs:index', ANY, 'List a visible flavor\'s extra specs.'),
  r('os_compute_api:os-flavor-extra-specs:show', ANY, 'Show one extra spec of a visible flavor.'),
  r('os_compute_api:os-flavor-extra-specs:create', ADMIN, 'Create or replace extra specs.'),
  r('os_compute_api:os-flavor-extra-specs:update', ADMIN, 'Update one extra spec.'),
  r('os_compute_api:os-flavor-extra-specs:delete', ADMIN, 'Delete one extra spec.'),
  r('os_compute_api:os-flavor-access', ADMIN, 'List the projects a private flavor is shared with.'),
  r('os_compute_api:os-flavor-access:add_tenant_access', ADMIN, 'Share a private flavor with a project.'),
  r('os_compute_api:os-flavor-access:remove_tenant_access', ADMIN, 'Stop sharing a private flavor with a project.'),
];
