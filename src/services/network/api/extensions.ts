// GET /v2.0/extensions: exactly the API extensions this server implements, since openstacksdk and the CLI check
// aliases before using a feature.
import type { FastifyInstance } from 'fastify';
import { notFound } from '../domain/errors.ts';

const UPDATED = '2026-11-25T00:00:00-00:00';
const EXTENSIONS: [alias: string, name: string, description: string][] = [
  ['quotas', 'Quota management support', 'Expose functions for quotas management per project'],
  ['quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'],
  ['router', 'Neutron L3 Router', 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.'],
  ['extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'],
  ['extraroute-atomic', 'Atomically add/remove extra routes', 'Edit extra routes of a router on server side by atomically adding/removing extra routes'],
  ['agent', 'agent', 'The agent management extension.'],
  ['l3_agent_scheduler', 'L3 Agent Scheduler', 'Schedule routers among l3 agents'],
  ['ext-gw-mode', 'Neutron L3 Configurable external gateway mode', 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway'],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  ['provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'],
  ['binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'],
  ['security-group', 'security-group', 'The security groups extension.'],
  ['stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not'],
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'],
  ['port-security', 'Port Security', 'Provides port security'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  ['standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.'],
  ['standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.'],
  ['standard-attr-tag', 'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip', 'Enables to set tag on resources with standard attribute.'],
  ['revision-if-match', 'If-Match constraints based on revision_number', 'Extension indicating that If-Match based on revision_number is supported.'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['sorting', 'Sorting support', 'Enabling the sorting support in neutron'],
  ['pagination', 'Pagination support', 'Enabling the pagination support in neutron'],
  ['filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.'],
];

const view = ([alias, name, description]: typeof EXTENSIONS[number]) => ({ alias, name, description, updated: UPDATED, links: [] });

export function registerExtensions(app: FastifyInstance): void {
  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS.map(view) }));
  app.get('/v2.0/extensions/:alias', async (req) => {
    const alias = (req.params as { alias: string }).alias;
    const ext = EXTENSIONS.find((e) => e[0] === alias);
    if (!ext) throw notFound('Extension', alias);
    return { extension: view(ext) };
  });
}
