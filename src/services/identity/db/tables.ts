// Identity's tables as Kysely types: ids are strings, timestamps ISO strings, JSON in text columns.

export interface DomainRow { id: string; name: string; description: string; enabled: boolean | number; extra: string; created_at: string }
export interface ProjectRow {
  id: string; name: string; domain_id: string; parent_id: string | null; description: string;
  enabled: boolean | number; tags: string; extra: string; created_at: string;
}
export interface UserRow {
  id: string; name: string; domain_id: string; enabled: boolean | number; password_hash: string | null;
  default_project_id: string | null; password_expires_at: string | null; options: string; extra: string; created_at: string;
}
export interface GroupRow { id: string; name: string; domain_id: string; description: string; extra: string }
export interface MembershipRow { user_id: string; group_id: string }
/** Global roles have domain_id '' (unique indexes treat NULLs as distinct, so '' stands for none). */
export interface RoleRow { id: string; name: string; domain_id: string; description: string; options: string }
export interface ImpliedRoleRow { prior_role_id: string; implied_role_id: string }
export type AssignmentType = 'UserProject' | 'GroupProject' | 'UserDomain' | 'GroupDomain' | 'UserSystem' | 'GroupSystem';
/** System assignments use target_id 'system'. */
export interface AssignmentRow { type: AssignmentType; actor_id: string; target_id: string; role_id: string; inherited: boolean | number }
export interface RegionRow { id: string; description: string; parent_region_id: string | null; extra: string }
export interface ServiceRow { id: string; type: string; name: string; description: string; enabled: boolean | number; extra: string }
export interface EndpointRow {
  id: string; service_id: string; region_id: string | null; interface: string; url: string; enabled: boolean | number; extra: string;
}
export interface AppCredRow {
  id: string; name: string; user_id: string; project_id: string; secret_hash: string; description: string;
  expires_at: string | null; unrestricted: boolean | number; created_at: string;
}
export interface AppCredRoleRow { application_credential_id: string; role_id: string }
export interface CredentialRow { id: string; user_id: string; project_id: string | null; type: string; encrypted_blob: string; key_hash: string; extra: string }
export interface TrustRow {
  id: string; trustor_user_id: string; trustee_user_id: string; project_id: string | null; impersonation: boolean | number;
  expires_at: string | null; remaining_uses: number | null; redelegation_count: number; deleted_at: string | null; extra: string; created_at: string;
}
export interface TrustRoleRow { trust_id: string; role_id: string }
/** A revocation event: a token matching every non-null field and issued before issued_before is revoked. */
export interface RevocationEventRow {
  id: string; user_id: string | null; project_id: string | null; domain_id: string | null; role_id: string | null;
  trust_id: string | null; audit_id: string | null; audit_chain_id: string | null; app_cred_id: string | null;
  issued_before: number; revoked_at: number;
}

export interface IdentityTables {
  domains: DomainRow;
  projects: ProjectRow;
  users: UserRow;
  groups: GroupRow;
  user_group_membership: MembershipRow;
  roles: RoleRow;
  implied_roles: ImpliedRoleRow;
  assignments: AssignmentRow;
  regions: RegionRow;
  services: ServiceRow;
  endpoints: EndpointRow;
  application_credentials: AppCredRow;
  application_credential_roles: AppCredRoleRow;
  credentials: CredentialRow;
  trusts: TrustRow;
  trust_roles: TrustRoleRow;
  revocation_events: RevocationEventRow;
}

import type { Kysely } from 'kysely';
export type IdentityDb = Kysely<IdentityTables>;
