// Compute's policy rules as data, with Nova's rule names and secure-RBAC defaults, so an operator's Nova overrides
// apply unchanged. Flavors are cloud-wide: admins manage them; any authenticated caller reads the public ones. Servers
// belong to a project: its readers read them, its members act on them, admins everywhere.
import { baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

const ADMIN = 'rule:context_is_admin';
const ANY = '@';
const MEMBER = 'rule:project_member_or_admin';
const READER = 'rule:project_reader_or_admin';

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
  r('os_compute_api:servers:index', READER, 'List the project\'s servers.'),
  r('os_compute_api:servers:index:get_all_tenants', ADMIN, 'List every project\'s servers (all_tenants).'),
  r('os_compute_api:servers:detail', READER, 'List the project\'s servers with details.'),
  r('os_compute_api:servers:detail:get_all_tenants', ADMIN, 'List every project\'s servers with details.'),
  r('os_compute_api:servers:allow_all_filters', ADMIN, 'Filter server lists by any field (host, node…).'),
  r('os_compute_api:servers:show', READER, 'Show a server.'),
  r('os_compute_api:servers:show:host_status', ADMIN, 'See host_status in a server (2.16+).'),
  r('os_compute_api:os-extended-server-attributes', ADMIN, 'See OS-EXT-SRV-ATTR fields (host, hypervisor, instance name).'),
  r('os_compute_api:servers:create', MEMBER, 'Create a server.'),
  r('os_compute_api:servers:update', MEMBER, 'Rename a server or change its description.'),
  r('os_compute_api:servers:delete', MEMBER, 'Delete a server.'),
  r('os_compute_api:servers:start', MEMBER, 'Start a stopped server.'),
  r('os_compute_api:servers:stop', MEMBER, 'Stop a server.'),
  r('os_compute_api:servers:reboot', MEMBER, 'Reboot a server.'),
  r('os_compute_api:os-pause-server:pause', MEMBER, 'Pause a server.'),
  r('os_compute_api:os-pause-server:unpause', MEMBER, 'Unpause a server.'),
  r('os_compute_api:os-suspend-server:suspend', MEMBER, 'Suspend a server.'),
  r('os_compute_api:os-suspend-server:resume', MEMBER, 'Resume a suspended server.'),
  r('os_compute_api:os-lock-server:lock', MEMBER, 'Lock a server.'),
  r('os_compute_api:os-lock-server:unlock', MEMBER, 'Unlock a server locked by its project.'),
  r('os_compute_api:os-lock-server:unlock:unlock_override', ADMIN, 'Unlock a server an administrator locked.'),
  r('os_compute_api:server-metadata:index', READER, 'List a server\'s metadata.'),
  r('os_compute_api:server-metadata:show', READER, 'Show one metadata item of a server.'),
  r('os_compute_api:server-metadata:create', MEMBER, 'Add metadata items to a server.'),
  r('os_compute_api:server-metadata:update_all', MEMBER, 'Replace a server\'s metadata.'),
  r('os_compute_api:server-metadata:update', MEMBER, 'Set one metadata item of a server.'),
  r('os_compute_api:server-metadata:delete', MEMBER, 'Delete one metadata item of a server.'),
  r('os_compute_api:os-instance-actions:list', READER, 'List a server\'s actions.'),
  r('os_compute_api:os-instance-actions:show', READER, 'Show a server action.'),
  r('os_compute_api:os-instance-actions:events', ADMIN, 'See the events of an action (members see them without tracebacks from 2.51).'),
  r('os_compute_api:os-instance-actions:events:details', ADMIN, 'See event details (2.84+).'),
  r('os_compute_api:os-keypairs:index', 'rule:admin_required or user_id:%(user_id)s', 'List key pairs.'),
  r('os_compute_api:os-keypairs:show', 'rule:admin_required or user_id:%(user_id)s', 'Show a key pair.'),
  r('os_compute_api:os-keypairs:create', 'rule:admin_required or user_id:%(user_id)s', 'Create or import a key pair.'),
  r('os_compute_api:os-keypairs:delete', 'rule:admin_required or user_id:%(user_id)s', 'Delete a key pair.'),
  r('os_compute_api:os-services:list', ADMIN, 'List compute services.'),
  r('os_compute_api:os-services:update', ADMIN, 'Enable, disable or force down a compute service.'),
  r('os_compute_api:os-services:delete', ADMIN, 'Delete a compute service.'),
  r('os_compute_api:os-hypervisors:list', ADMIN, 'List hypervisors.'),
  r('os_compute_api:os-hypervisors:list-detail', ADMIN, 'List hypervisors with details.'),
  r('os_compute_api:os-hypervisors:show', ADMIN, 'Show a hypervisor.'),
  r('os_compute_api:os-hypervisors:statistics', ADMIN, 'Show hypervisor statistics.'),
  r('os_compute_api:limits', ANY, 'Show the caller\'s absolute limits.'),
  r('os_compute_api:os-quota-sets:show', READER, 'Show a project\'s quotas.'),
  r('os_compute_api:os-quota-sets:defaults', ANY, 'Show the default quotas.'),
  r('os_compute_api:os-quota-sets:update', ADMIN, 'Update a project\'s quotas.'),
  r('os_compute_api:os-quota-sets:delete', ADMIN, 'Revert a project\'s quotas to the defaults.'),
  r('os_compute_api:os-quota-sets:detail', READER, 'Show a project\'s quotas with usage.'),
];
