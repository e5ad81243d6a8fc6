// Secure-RBAC personas (after Keystone's and Nova's base policies) that every service includes and refers to by `rule:`.
import type { PolicyRule } from './enforcer.ts';

/** `rule:` references to the personas below, for composing a service's check strings. */
export const RULE = {
  adminRequired: 'rule:admin_required',
  serviceRole: 'rule:service_role',
  serviceOrAdmin: 'rule:service_or_admin',
  owner: 'rule:owner',
  adminOrOwner: 'rule:admin_or_owner',
  systemReader: 'rule:system_reader',
  systemAdmin: 'rule:system_admin',
  systemReaderOrOwner: 'rule:system_reader_or_owner',
  systemAdminOrOwner: 'rule:system_admin_or_owner',
  domainReader: 'rule:domain_reader',
  domainManager: 'rule:domain_manager',
  domainAdmin: 'rule:domain_admin',
  projectReader: 'rule:project_reader',
  projectMember: 'rule:project_member',
  projectManager: 'rule:project_manager',
  projectAdmin: 'rule:project_admin',
  projectReaderOrAdmin: 'rule:project_reader_or_admin',
  projectMemberOrAdmin: 'rule:project_member_or_admin',
  projectManagerOrAdmin: 'rule:project_manager_or_admin',
  projectMemberOrService: 'rule:project_member_or_service',
} as const;

const rule = (name: string, check: string, description: string): PolicyRule => ({ name, check, description });

// The default roles imply one another (admin → manager → member → reader) and the auth middleware has
// already expanded them, so each persona names only its lowest role. As in Nova and Keystone today, the
// admin role is cloud-wide: `admin_required` does not look at the project.
export const baseRules: PolicyRule[] = [
  rule('admin_required', 'role:admin', 'A cloud administrator: the admin role, whatever the scope.'),
  rule('context_is_admin', 'rule:admin_required', 'Alias of admin_required, the name Nova, Cinder and Neutron use.'),
  rule('service_role', 'role:service', 'Another OpenStack service acting through its service user.'),
  rule('service_or_admin', 'rule:admin_required or rule:service_role', 'A service user or a cloud administrator.'),
  rule('owner', 'user_id:%(user_id)s', 'The user the target belongs to.'),
  rule('admin_or_owner', 'rule:admin_required or rule:owner', 'A cloud administrator or the user the target belongs to.'),
  rule('system_reader', 'role:reader and system_scope:all', 'The reader role on the system (cloud-wide auditors).'),
  rule('system_admin', 'role:admin and system_scope:all', 'The admin role on the system.'),
  rule('system_reader_or_owner', '(role:reader and system_scope:all) or rule:owner', 'A system reader or the owning user.'),
  rule('system_admin_or_owner', '(role:admin and system_scope:all) or rule:owner', 'A system admin or the owning user.'),
  rule('domain_reader', 'role:reader and domain_id:%(domain_id)s', 'The reader role on the target\'s domain.'),
  rule('domain_manager', 'role:manager and domain_id:%(domain_id)s', 'The manager role on the target\'s domain (self-service identity management).'),
  rule('domain_admin', 'role:admin and domain_id:%(domain_id)s', 'The admin role on the target\'s domain.'),
  rule('project_reader', 'role:reader and project_id:%(project_id)s', 'The reader role on the target\'s project.'),
  rule('project_member', 'role:member and project_id:%(project_id)s', 'The member role on the target\'s project.'),
  rule('project_manager', 'role:manager and project_id:%(project_id)s', 'The manager role on the target\'s project.'),
  rule('project_admin', 'role:admin and project_id:%(project_id)s', 'The admin role on the target\'s project.'),
  rule('project_reader_or_admin', 'rule:project_reader or rule:admin_required', 'Read APIs: the project\'s readers or a cloud administrator.'),
  rule('project_member_or_admin', 'rule:project_member or rule:admin_required', 'Write APIs: the project\'s members or a cloud administrator.'),
  rule('project_manager_or_admin', 'rule:project_manager or rule:admin_required', 'Project management APIs: the project\'s managers or a cloud administrator.'),
  rule('project_member_or_service', 'rule:project_member or rule:service_role', 'The project\'s members, or a service acting on their behalf.'),
];
