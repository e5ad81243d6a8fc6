// Identity's policy rules as data, with secure-RBAC defaults after Keystone's: admin manages the cloud,
// domain admins and readers work inside their domain, users see and manage what is their own.
import { baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

// A cloud admin holds admin on the system or (as OpenStack has always allowed) on a project; an admin on a
// domain-scoped token manages only that domain.
const ADMIN = 'rule:cloud_admin';
const SYSTEM_READER = 'rule:system_reader';
const ADMIN_OR_READER = `${ADMIN} or ${SYSTEM_READER}`;
/** Domain-scoped readers and admins act on their own domain's resources. */
const DOMAIN_READER = 'role:reader and domain_id:%(target.domain_id)s';
const DOMAIN_ADMIN = 'role:admin and domain_id:%(target.domain_id)s';
const TRUSTOR = 'user_id:%(target.trust.trustor_user_id)s';
const TRUSTEE = 'user_id:%(target.trust.trustee_user_id)s';
const CREDENTIAL_OWNER = 'user_id:%(target.credential.user_id)s';

const r = (name: string, check: string, description: string): PolicyRule => ({ name, check, description });

export const identityPolicy: PolicyRule[] = [
  ...baseRules,
  r('cloud_admin', 'role:admin and (system_scope:all or scope_type:project)', 'Manages the whole cloud: admin with system or project scope.'),
  r('identity:validate_token', `${ADMIN_OR_READER} or rule:service_role or user_id:%(token.user_id)s`, 'Validate or check a token.'),
  r('identity:revoke_token', `${ADMIN} or rule:service_role or user_id:%(token.user_id)s`, 'Revoke a token.'),

  r('identity:get_domain', `${ADMIN_OR_READER} or domain_id:%(target.domain.id)s or project_domain_id:%(target.domain.id)s`, 'Show a domain.'),
  r('identity:list_domains', ADMIN_OR_READER, 'List domains.'),
  r('identity:create_domain', ADMIN, 'Create a domain.'),
  r('identity:update_domain', ADMIN, 'Update a domain.'),
  r('identity:delete_domain', ADMIN, 'Delete a domain.'),

  r('identity:get_project', `${ADMIN_OR_READER} or ${DOMAIN_READER} or project_id:%(target.project.id)s`, 'Show a project.'),
  r('identity:list_projects', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'List projects.'),
  r('identity:list_user_projects', `${ADMIN_OR_READER} or ${DOMAIN_READER} or user_id:%(target.user.id)s`, 'List the projects of a user.'),
  r('identity:create_project', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Create a project.'),
  r('identity:update_project', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Update a project.'),
  r('identity:delete_project', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Delete a project.'),

  r('identity:get_user', `${ADMIN_OR_READER} or ${DOMAIN_READER} or user_id:%(target.user.id)s`, 'Show a user.'),
  r('identity:list_users', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'List users.'),
  r('identity:create_user', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Create a user.'),
  r('identity:update_user', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Update a user.'),
  r('identity:delete_user', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Delete a user.'),
  r('identity:change_password', 'user_id:%(target.user.id)s', 'A user changes their own password.'),

  r('identity:get_group', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'Show a group.'),
  r('identity:list_groups', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'List groups.'),
  r('identity:list_groups_for_user', `${ADMIN_OR_READER} or ${DOMAIN_READER} or user_id:%(target.user.id)s`, 'List the groups of a user.'),
  r('identity:create_group', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Create a group.'),
  r('identity:update_group', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Update a group.'),
  r('identity:delete_group', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Delete a group.'),
  r('identity:list_users_in_group', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'List the members of a group.'),
  r('identity:check_user_in_group', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'Check group membership.'),
  r('identity:add_user_to_group', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Add a user to a group.'),
  r('identity:remove_user_from_group', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Remove a user from a group.'),

  r('identity:get_role', `${ADMIN_OR_READER} or role:reader`, 'Show a role.'),
  r('identity:list_roles', `${ADMIN_OR_READER} or role:reader`, 'List roles.'),
  r('identity:create_role', ADMIN, 'Create a role.'),
  r('identity:update_role', ADMIN, 'Update a role.'),
  r('identity:delete_role', ADMIN, 'Delete a role.'),
  r('identity:list_implied_roles', ADMIN_OR_READER, 'List implied roles.'),
  r('identity:create_implied_role', ADMIN, 'Create an implied role.'),
  r('identity:delete_implied_role', ADMIN, 'Delete an implied role.'),

  r('identity:check_grant', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'Check or list role grants.'),
  r('identity:create_grant', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Grant a role on a project or domain.'),
  r('identity:revoke_grant', `${ADMIN} or ${DOMAIN_ADMIN}`, 'Revoke a role on a project or domain.'),
  r('identity:check_system_grant', ADMIN_OR_READER, 'Check or list system role grants.'),
  r('identity:create_system_grant', ADMIN, 'Grant a role on the system.'),
  r('identity:revoke_system_grant', ADMIN, 'Revoke a role on the system.'),
  r('identity:list_role_assignments', `${ADMIN_OR_READER} or ${DOMAIN_READER}`, 'List role assignments.'),

  r('identity:get_region', '', 'Show a region: any authenticated user.'),
  r('identity:list_regions', '', 'List regions: any authenticated user.'),
  r('identity:create_region', ADMIN, 'Create a region.'),
  r('identity:update_region', ADMIN, 'Update a region.'),
  r('identity:delete_region', ADMIN, 'Delete a region.'),
  r('identity:get_service', ADMIN_OR_READER, 'Show a service.'),
  r('identity:list_services', ADMIN_OR_READER, 'List services.'),
  r('identity:create_service', ADMIN, 'Create a service.'),
  r('identity:update_service', ADMIN, 'Update a service.'),
  r('identity:delete_service', ADMIN, 'Delete a service.'),
  r('identity:get_endpoint', ADMIN_OR_READER, 'Show an endpoint.'),
  r('identity:list_endpoints', ADMIN_OR_READER, 'List endpoints.'),
  r('identity:create_endpoint', ADMIN, 'Create an endpoint.'),
  r('identity:update_endpoint', ADMIN, 'Update an endpoint.'),
  r('identity:delete_endpoint', ADMIN, 'Delete an endpoint.'),

  r('identity:get_application_credential', `${ADMIN_OR_READER} or user_id:%(target.user.id)s`, 'Show an application credential.'),
  r('identity:list_application_credentials', `${ADMIN_OR_READER} or user_id:%(target.user.id)s`, 'List application credentials.'),
  r('identity:create_application_credential', 'user_id:%(target.user.id)s', 'A user creates their own application credential.'),
  r('identity:delete_application_credential', `${ADMIN} or user_id:%(target.user.id)s`, 'Delete an application credential.'),

  // OS-TRUST, after Keystone: only the trustor creates (and deletes) a trust; trustor and trustee see it.
  r('identity:create_trust', TRUSTOR, 'A user creates a trust as its trustor.'),
  r('identity:list_trusts', `${ADMIN_OR_READER} or ${TRUSTOR} or ${TRUSTEE}`,
    'List trusts. The target is the trustor_user_id/trustee_user_id filter, or the caller when unfiltered; each trust listed must also pass identity:get_trust.'),
  r('identity:get_trust', `${ADMIN_OR_READER} or ${TRUSTOR} or ${TRUSTEE}`, 'Show a trust.'),
  r('identity:delete_trust', `${ADMIN} or ${TRUSTOR}`, 'Delete a trust: its trustor or an admin.'),
  r('identity:list_roles_for_trust', `${ADMIN_OR_READER} or ${TRUSTOR} or ${TRUSTEE}`, 'List the roles a trust delegates.'),
  r('identity:get_role_for_trust', `${ADMIN_OR_READER} or ${TRUSTOR} or ${TRUSTEE}`, 'Check a role a trust delegates.'),

  r('identity:create_credential', `${ADMIN} or ${CREDENTIAL_OWNER}`, 'Create a credential: for oneself, or for anyone as an admin.'),
  r('identity:list_credentials', `${ADMIN_OR_READER} or ${CREDENTIAL_OWNER}`,
    'List credentials. The target is the caller, as in Keystone; each credential listed must also pass identity:get_credential.'),
  r('identity:get_credential', `${ADMIN_OR_READER} or ${CREDENTIAL_OWNER}`, 'Show a credential, its secret blob included.'),
  r('identity:update_credential', `${ADMIN} or ${CREDENTIAL_OWNER}`, 'Update a credential (checked on the credential before and after the change).'),
  r('identity:delete_credential', `${ADMIN} or ${CREDENTIAL_OWNER}`, 'Delete a credential.'),

  r('identity:list_revoke_events', `${ADMIN_OR_READER} or rule:service_role`, 'List revocation events (services poll them).'),
];
