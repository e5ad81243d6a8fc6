// Identity's route table: every resource registers its routes here, in one place.
import type { FastifyInstance } from 'fastify';
import type { IdentityApiDeps } from './deps.ts';
import { registerVersions } from './versions.ts';
import { registerAuthTokens } from './auth-tokens.ts';
import { registerAuthScopes } from './auth-scopes.ts';
import { registerDomains } from './domains.ts';
import { registerProjects } from './projects.ts';
import { registerUsers } from './users.ts';
import { registerGroups } from './groups.ts';
import { registerRoles } from './roles.ts';
import { registerGrants } from './grants.ts';
import { registerRoleAssignments } from './role-assignments.ts';
import { registerCatalog } from './catalog.ts';
import { registerAppCreds } from './app-creds.ts';
import { registerTrusts } from './trusts.ts';
import { registerCredentials } from './credentials.ts';

export function registerIdentityRoutes(app: FastifyInstance, deps: IdentityApiDeps): void {
  registerVersions(app);
  registerAuthTokens(app, deps);
  registerAuthScopes(app, deps);
  registerDomains(app, deps);
  registerProjects(app, deps);
  registerUsers(app, deps);
  registerGroups(app, deps);
  registerRoles(app, deps);
  registerGrants(app, deps);
  registerRoleAssignments(app, deps);
  registerCatalog(app, deps);
  registerAppCreds(app, deps);
  registerTrusts(app, deps);
  registerCredentials(app, deps);
}
