// A server's security groups, as Nova does them with Neutron: addSecurityGroup / removeSecurityGroup change the
// security groups of every port of the server through Networking's REST API with the user's token, and
// GET /servers/{id}/os-security-groups lists the groups on its ports in Nova's (pre-Neutron) group format, as do
// the read routes of Nova's deprecated os-security-groups proxy (before 2.36).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import type { NetworkClient, Port, SecurityGroup, SecurityGroupRule } from '#services/network/contract/client.ts';
import type { Instance } from '../domain/instance.ts';
import { updateInstance } from '../db/instances-repo.ts';
import { loadServer } from './servers.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';

const userOf = (req: FastifyRequest) => ({ token: req.ctx.authToken, globalRequestId: req.ctx.globalRequestId });

async function networkOf(deps: ComputeApiDeps): Promise<NetworkClient> {
  const n = await deps.network();
  if (!n) throw new BadRequest('Networking is not available in this cloud.');
  return n;
}

/** The group named by the action body (Nova's _parse), checked before anything is looked up. */
function groupNameOf(args: unknown): string {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new BadRequest('Missing parameter dict');
  const name = (args as { name?: unknown }).name;
  if (name === undefined) throw new BadRequest('Security group not specified');
  if (typeof name !== 'string') throw new BadRequest('Invalid input for field/attribute name.');
  if (name.trim() === '') throw new BadRequest('Security group name cannot be empty');
  return name;
}

/** A group by name in the server's project, else by id (as neutronclient's find_resourceid_by_name_or_id). */
async function findGroup(network: NetworkClient, req: FastifyRequest, server: Instance, nameOrId: string): Promise<SecurityGroup> {
  const user = userOf(req);
  let found = await network.listSecurityGroups({ name: nameOrId, project_id: server.projectId }, user);
  if (found.length > 1) throw new Conflict(`Multiple security_group matches found for name '${nameOrId}', use an ID to be more specific.`);
  if (!found.length) found = await network.listSecurityGroups({ id: nameOrId }, user);
  if (!found.length) throw new NotFound(`Security group ${nameOrId} is not found for project ${server.projectId}`);
  return found[0];
}

async function portsOf(network: NetworkClient, req: FastifyRequest, server: Instance): Promise<Port[]> {
  const ports = await network.listPorts({ device_id: server.uuid }, userOf(req));
  if (!ports.length) throw new NotFound(`instance_id ${server.uuid} could not be found as device id on any ports`);
  return ports;
}

/** The server's own record of its group names (what server show lists), following the ports. */
async function recordGroupNames(deps: ComputeApiDeps, server: Instance, names: string[]): Promise<void> {
  await updateInstance(deps.db, server.uuid, { securityGroups: names });
}

async function addSecurityGroup(deps: ComputeApiDeps, req: FastifyRequest, args: unknown): Promise<void> {
  const nameOrId = groupNameOf(args);
  const { server } = await loadServer(deps, req, 'os_compute_api:os-security-groups:add');
  const network = await networkOf(deps);
  const group = await findGroup(network, req, server, nameOrId);
  const ports = await portsOf(network, req, server);
  // Every port is checked before any changes, so a refusal leaves all of them as they were.
  if (ports.some((p) => !p.port_security_enabled || !p.fixed_ips.length)) {
    throw new BadRequest('Network requires port_security_enabled and subnet associated in order to apply security groups.');
  }
  for (const port of ports) {
    if (port.security_groups.includes(group.id)) continue;
    await network.updatePort(port.id, { security_groups: [...port.security_groups, group.id] }, userOf(req));
  }
  if (!server.securityGroups.includes(group.name)) await recordGroupNames(deps, server, [...server.securityGroups, group.name]);
}

async function removeSecurityGroup(deps: ComputeApiDeps, req: FastifyRequest, args: unknown): Promise<void> {
  const nameOrId = groupNameOf(args);
  const { server } = await loadServer(deps, req, 'os_compute_api:os-security-groups:remove');
  const network = await networkOf(deps);
  const group = await findGroup(network, req, server, nameOrId);
  const holding = (await portsOf(network, req, server)).filter((p) => p.security_groups.includes(group.id));
  if (!holding.length) throw new NotFound(`Security group ${nameOrId} not associated with the instance ${server.uuid}`);
  for (const port of holding) {
    await network.updatePort(port.id, { security_groups: port.security_groups.filter((id) => id !== group.id) }, userOf(req));
  }
  await recordGroupNames(deps, server, server.securityGroups.filter((n) => n !== group.name));
}

/** Server security group actions, dispatched from POST /servers/{id}/action. */
export const securityGroupActions: Record<string, (deps: ComputeApiDeps, req: FastifyRequest, args: unknown) => Promise<void>> = {
  addSecurityGroup, removeSecurityGroup,
};

/** One Neutron rule as Nova shows it; Nova shows ingress rules only, a rule without a prefix as 0.0.0.0/0. */
function ruleView(rule: SecurityGroupRule, groups: Map<string, SecurityGroup>) {
  const noPorts = rule.protocol !== null && rule.port_range_min === null && rule.port_range_max === null;
  const tcpOrUdp = ['tcp', 'udp'].includes(String(rule.protocol).toLowerCase());
  const remote = rule.remote_group_id ? groups.get(rule.remote_group_id) : undefined;
  return {
    id: rule.id, parent_group_id: rule.security_group_id, ip_protocol: rule.protocol,
    from_port: noPorts ? (tcpOrUdp ? 1 : -1) : rule.port_range_min, to_port: noPorts ? (tcpOrUdp ? 65535 : -1) : rule.port_range_max,
    group: rule.remote_group_id ? { name: remote?.name, tenant_id: remote?.project_id } : {},
    ip_range: rule.remote_group_id ? {} : { cidr: rule.remote_ip_prefix ?? '0.0.0.0/0' },
  };
}

/** Groups in Nova's format, with the names of the groups their rules refer to (looked up when not among them). */
async function novaGroups(network: NetworkClient, req: FastifyRequest, groups: SecurityGroup[]) {
  const have = new Set(groups.map((g) => g.id));
  const remoteIds = [...new Set(groups.flatMap((g) => g.security_group_rules.map((r) => r.remote_group_id)))]
    .filter((id): id is string => id !== null && !have.has(id));
  const remote = remoteIds.length ? await network.listSecurityGroups({ id: remoteIds }, userOf(req)) : [];
  const byId = new Map([...groups, ...remote].map((g) => [g.id, g]));
  return groups.map((g) => ({
    id: g.id, name: g.name, description: g.description, tenant_id: g.project_id,
    rules: g.security_group_rules.filter((r) => r.direction === 'ingress').map((r) => ruleView(r, byId)),
  }));
}

/** Nova's proxy APIs to Networking were removed in 2.36. */
function assertProxyVersion(req: FastifyRequest): void {
  if (atLeast(req, 36)) throw new NotFound('The resource could not be found.');
}

export function registerServerSecurityGroups(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/servers/:server_id/os-security-groups', async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:os-security-groups:list');
    const network = await networkOf(deps);
    const ports = await network.listPorts({ device_id: server.uuid }, userOf(req));
    const ids = [...new Set(ports.flatMap((p) => p.security_groups))];
    if (!ids.length) return { security_groups: [] };
    return { security_groups: await novaGroups(network, req, await network.listSecurityGroups({ id: ids }, userOf(req))) };
  });

  // The read side of Nova's deprecated os-security-groups proxy, which clients still use to find a group by name
  // before addSecurityGroup (openstack server add security group does, below 2.36).
  app.get('/v2.1/os-security-groups', async (req) => {
    assertProxyVersion(req);
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-security-groups:get', caller.credentials, { project_id: caller.projectId });
    const network = await networkOf(deps);
    const groups = await network.listSecurityGroups(caller.projectId ? { project_id: caller.projectId } : {}, userOf(req));
    return { security_groups: await novaGroups(network, req, groups) };
  });

  app.get('/v2.1/os-security-groups/:id', async (req) => {
    assertProxyVersion(req);
    const caller = callerOf(deps, req);
    deps.policy.enforce('os_compute_api:os-security-groups:show', caller.credentials, { project_id: caller.projectId });
    const id = (req.params as { id: string }).id;
    const network = await networkOf(deps);
    const [group] = await network.listSecurityGroups({ id }, userOf(req));
    if (!group) throw new NotFound(`Security group ${id} not found.`);
    return { security_group: (await novaGroups(network, req, [group]))[0] };
  });
}
