// Placement's policy rules as data, with Placement's secure-RBAC defaults: a cloud admin and the service role (Nova's
// scheduler and compute agents call with service tokens) may do everything; system readers read everything; a
// project's readers see their project's usages. Nobody else — Placement is an operator's and services' API.
import { baseRules } from '#lib/policy/index.ts';
import type { PolicyRule } from '#lib/policy/index.ts';

const ADMIN_OR_SERVICE = 'rule:placement_admin_or_service';
const READER = 'rule:placement_reader';

const r = (name: string, check: string, description: string, method: string, path: string): PolicyRule =>
  ({ name, check, description, operations: [{ method, path }] });

export const placementPolicy: PolicyRule[] = [
  ...baseRules,
  { name: 'placement_admin_or_service', check: 'rule:admin_required or rule:service_role', description: 'A cloud admin or another service: writes and reads.' },
  { name: 'placement_reader', check: `${ADMIN_OR_SERVICE} or rule:system_reader`, description: 'Reads: admins, services and system readers.' },

  r('placement:resource_providers:list', READER, 'List resource providers.', 'GET', '/resource_providers'),
  r('placement:resource_providers:create', ADMIN_OR_SERVICE, 'Create a resource provider.', 'POST', '/resource_providers'),
  r('placement:resource_providers:show', READER, 'Show a resource provider.', 'GET', '/resource_providers/{uuid}'),
  r('placement:resource_providers:update', ADMIN_OR_SERVICE, 'Update a resource provider.', 'PUT', '/resource_providers/{uuid}'),
  r('placement:resource_providers:delete', ADMIN_OR_SERVICE, 'Delete a resource provider.', 'DELETE', '/resource_providers/{uuid}'),

  r('placement:resource_providers:inventories:list', READER, 'List a provider\'s inventories.', 'GET', '/resource_providers/{uuid}/inventories'),
  r('placement:resource_providers:inventories:create', ADMIN_OR_SERVICE, 'Create one inventory.', 'POST', '/resource_providers/{uuid}/inventories'),
  r('placement:resource_providers:inventories:show', READER, 'Show one inventory.', 'GET', '/resource_providers/{uuid}/inventories/{resource_class}'),
  r('placement:resource_providers:inventories:update', ADMIN_OR_SERVICE, 'Replace inventories.', 'PUT', '/resource_providers/{uuid}/inventories'),
  r('placement:resource_providers:inventories:delete', ADMIN_OR_SERVICE, 'Delete inventories.', 'DELETE', '/resource_providers/{uuid}/inventories'),

  r('placement:resource_providers:aggregates:list', READER, 'List a provider\'s aggregates.', 'GET', '/resource_providers/{uuid}/aggregates'),
  r('placement:resource_providers:aggregates:update', ADMIN_OR_SERVICE, 'Replace a provider\'s aggregates.', 'PUT', '/resource_providers/{uuid}/aggregates'),
  r('placement:resource_providers:usages', READER, 'Show a provider\'s usages.', 'GET', '/resource_providers/{uuid}/usages'),
  r('placement:resource_providers:allocations:list', READER, 'List the allocations against a provider.', 'GET', '/resource_providers/{uuid}/allocations'),

  r('placement:resource_providers:traits:list', READER, 'List a provider\'s traits.', 'GET', '/resource_providers/{uuid}/traits'),
  r('placement:resource_providers:traits:update', ADMIN_OR_SERVICE, 'Replace a provider\'s traits.', 'PUT', '/resource_providers/{uuid}/traits'),
  r('placement:resource_providers:traits:delete', ADMIN_OR_SERVICE, 'Remove a provider\'s traits.', 'DELETE', '/resource_providers/{uuid}/traits'),

  r('placement:resource_classes:list', READER, 'List resource classes.', 'GET', '/resource_classes'),
  r('placement:resource_classes:create', ADMIN_OR_SERVICE, 'Create a custom resource class.', 'POST', '/resource_classes'),
  r('placement:resource_classes:show', READER, 'Show a resource class.', 'GET', '/resource_classes/{name}'),
  r('placement:resource_classes:update', ADMIN_OR_SERVICE, 'Create (1.7+) or rename (1.2–1.6) a custom resource class.', 'PUT', '/resource_classes/{name}'),
  r('placement:resource_classes:delete', ADMIN_OR_SERVICE, 'Delete a custom resource class.', 'DELETE', '/resource_classes/{name}'),

  r('placement:traits:list', READER, 'List traits.', 'GET', '/traits'),
  r('placement:traits:show', READER, 'Check that a trait exists.', 'GET', '/traits/{name}'),
  r('placement:traits:update', ADMIN_OR_SERVICE, 'Create a custom trait.', 'PUT', '/traits/{name}'),
  r('placement:traits:delete', ADMIN_OR_SERVICE, 'Delete a custom trait.', 'DELETE', '/traits/{name}'),

  r('placement:allocations:list', READER, 'Show a consumer\'s allocations.', 'GET', '/allocations/{consumer_uuid}'),
  r('placement:allocations:update', ADMIN_OR_SERVICE, 'Replace a consumer\'s allocations.', 'PUT', '/allocations/{consumer_uuid}'),
  r('placement:allocations:delete', ADMIN_OR_SERVICE, 'Delete a consumer\'s allocations.', 'DELETE', '/allocations/{consumer_uuid}'),
  r('placement:allocations:manage', ADMIN_OR_SERVICE, 'Replace the allocations of several consumers at once.', 'POST', '/allocations'),
  r('placement:allocation_candidates:list', READER, 'List allocation candidates.', 'GET', '/allocation_candidates'),

  r('placement:usages', `${READER} or rule:project_reader`, 'Show a project\'s usages: also its own readers.', 'GET', '/usages'),
  // Placement lets only the service role reshape; here a cloud admin may too, as with every other write.
  r('placement:reshaper:reshape', ADMIN_OR_SERVICE, 'Move inventories and allocations between providers atomically.', 'POST', '/reshaper'),
];
