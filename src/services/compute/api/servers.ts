// Servers: create (record, quota, then the conductor's cast: scheduling and the build run after the 202), list and
// detail with Nova's filters, show, update, delete (the agent tears down; a server no host holds is deleted here).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import type { Instance, RequestedNetworks } from '../domain/instance.ts';
import type { Flavor } from '../domain/flavor.ts';
import { TaskState, VmState, PowerState } from '../domain/vm-states.ts';
import { checkQuota } from '../domain/quotas.ts';
import { imageNotFound, instanceInvalidState, instanceLocked, instanceNotFound, invalidFlavorRef, keypairNotFound } from '../domain/errors.ts';
import { getInstance, insertInstance, patchInstance, projectUsage, updateInstance } from '../db/instances-repo.ts';
import { getFlavor, listExtraSpecs } from '../db/flavors-repo.ts';
import { getKeyPair } from '../db/keypairs-repo.ts';
import { projectLimits } from '../db/quotas-repo.ts';
import { startAction } from '../db/actions-repo.ts';
import { addMember, groupOf, liveMembers } from '../db/server-groups-repo.ts';
import { replaceTags, tagsOf } from '../db/tags-repo.ts';
import { systemMetadataKey } from '../db/system-metadata-repo.ts';
import { LOCKED_REASON_KEY } from './server-lock.ts';
import { loadGroup } from './server-groups.ts';
import { resolveRequestedNetworks } from './requested-networks.ts';
import { matchSecurityGroups } from '../domain/security-group-names.ts';
import { callerOf } from './deps.ts';
import type { Caller, ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { serverDetail, serverLinks } from './server-views.ts';
import type { ViewOptions } from './server-views.ts';
import { listBdms } from '../db/bdm-repo.ts';
import { planBlockDevices } from './block-device-mapping.ts';
import type { ImageRecord } from '#services/image/contract/client.ts';
import type { BdmItem } from './block-device-mapping.ts';
import { recordBlockDevices, releaseBlockDevices, volumeAuth } from './block-device-storage.ts';
import { listNodes, listServices } from '../db/hosts-repo.ts';
import { AGENT_BINARY, parseZoneRequest } from '../domain/zones.ts';
import { assertZoneExists } from './availability-zones.ts';
import { dropFinishedResize } from './server-move-actions.ts';
import { SHELVE_TASK_STATES, releaseShelvedServer } from './shelved-server-delete.ts';
import { createServerBody, listServersQuery, updateServerBody } from './schemas/servers.ts';
import { listServers } from './server-list.ts';

export const serverIdParam = (req: FastifyRequest): string => (req.params as { server_id: string }).server_id;

/** A server the caller may act on under `rule`: 404 when it is another project's (ids do not leak), 403 by policy. */
export async function loadServer(deps: ComputeApiDeps, req: FastifyRequest, rule: string): Promise<{ caller: Caller; server: Instance }> {
  const caller = callerOf(deps, req);
  const id = serverIdParam(req);
  const server = await getInstance(deps.db, id);
  if (!server || (!caller.isAdmin && server.projectId !== caller.projectId)) throw instanceNotFound(id);
  deps.policy.enforce(rule, caller.credentials, { project_id: server.projectId, user_id: server.userId });
  return { caller, server };
}

/** Locked servers refuse their project's actions; admins pass (Nova's check_instance_lock). */
export function assertUnlocked(caller: Caller, server: Instance): void {
  if (server.locked && !caller.isAdmin) throw instanceLocked(server.uuid);
}

/** How a server is shown to this caller, with its attached volumes (looked up for all the servers of a page at once). */
export async function viewsFor(deps: ComputeApiDeps, caller: Caller, servers: Instance[], opts: { withGroups?: boolean } = {}): Promise<(s: Instance) => ViewOptions> {
  const uuids = servers.map((s) => s.uuid);
  const bdms = await listBdms(deps.db, uuids);
  const tags = await tagsOf(deps.db, uuids);
  const reasons = await systemMetadataKey(deps.db, uuids.filter((_, n) => servers[n].locked), LOCKED_REASON_KEY);
  const groups = new Map<string, string[]>();
  if (opts.withGroups) for (const s of servers) { const g = await groupOf(deps.db, s.uuid); groups.set(s.uuid, g ? [g.uuid] : []); }
  return (s) => ({
    showHostAttributes: deps.policy.allowed('os_compute_api:os-extended-server-attributes', caller.credentials, { project_id: s.projectId }),
    volumes: bdms.filter((b) => b.instance_uuid === s.uuid).map((b) => b.volume_id),
    deleteOnTermination: new Set(bdms.filter((b) => b.instance_uuid === s.uuid && b.delete_on_termination).map((b) => b.volume_id)),
    tags: tags.get(s.uuid) ?? [], lockedReason: reasons.get(s.uuid) ?? null, ...(opts.withGroups ? { serverGroups: groups.get(s.uuid) ?? [] } : {}),
  });
}

interface CreateBody {
  server: {
    name: string; description?: string | null; imageRef?: string; flavorRef: string | number; metadata?: Record<string, string>;
    networks?: 'auto' | 'none' | { uuid?: string; port?: string | null; fixed_ip?: string }[]; key_name?: string; user_data?: string;
    availability_zone?: string; config_drive?: boolean | string; security_groups?: { name: string }[]; min_count?: number | string;
    max_count?: number | string; return_reservation_id?: boolean | string; accessIPv4?: string; accessIPv6?: string;
    block_device_mapping_v2?: BdmItem[]; tags?: string[]; trusted_image_certificates?: string[] | null; host?: string;
    hypervisor_hostname?: string; hostname?: string;
  };
  'os:scheduler_hints'?: Record<string, unknown>;
}

export const truthy = (v: unknown): boolean => v === true || (typeof v === 'string' && ['true', 't', '1', 'yes', 'y', 'on'].includes(v.toLowerCase()));

function requestedNetworks(req: FastifyRequest, networks: CreateBody['server']['networks']): RequestedNetworks | 'unspecified' {
  if (networks === undefined) {
    if (atLeast(req, 37)) throw new BadRequest("Invalid input for field/attribute server. Value: 'networks' is a required property");
    return 'unspecified';
  }
  if (typeof networks === 'string') {
    if (!atLeast(req, 37)) throw new BadRequest(`Invalid input for field/attribute networks. Value: ${networks}. '${networks}' is not of type 'array'`);
    return networks;
  }
  return networks.map((n) => ({ networkId: n.uuid, portId: n.port ?? undefined, fixedIp: n.fixed_ip }));
}

/** RFC 952 hostname from the display name, as Nova sanitises it. */
function hostnameOf(name: string, index: number, count: number): string {
  const base = name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 63) || 'server';
  return count > 1 ? `${base}-${index + 1}` : base;
}

/** The image must exist for the caller, be active, and fit the flavor (create and rebuild check it alike). */
export async function checkImage(deps: ComputeApiDeps, req: FastifyRequest, imageRef: string, flavor: Flavor, fetched?: ImageRecord): Promise<void> {
  const images = await deps.image();
  if (!images) throw new BadRequest('The Image service is not available in this cloud.');
  // `fetched`: the record the block device planning already read (image-defined mappings), not read twice.
  const image = fetched ?? await images.getImage(imageRef, { token: req.ctx.authToken ?? '', serviceToken: await deps.serviceToken(), globalRequestId: req.ctx.globalRequestId });
  if (!image) throw imageNotFound(imageRef);
  if (image.status !== 'active') throw new BadRequest(`Image ${imageRef} is not active.`);
  if (flavor.ram < (image.min_ram ?? 0)) throw new BadRequest('Flavor\'s memory is too small for requested image.');
  if (flavor.disk > 0 && flavor.disk < (image.min_disk ?? 0)) throw new BadRequest('Flavor\'s disk is too small for requested image.');
  if (flavor.disk > 0 && image.size && image.size > flavor.disk * 1024 ** 3) throw new BadRequest('Flavor\'s disk is too small for requested image.');
}

/**
 * The zone asked for, which must be a compute host's, and an admin's forced host (`az:host[:node]`, Nova's
 * forced_host policy), whose host must be a compute host.
 */
async function requestedZone(deps: ComputeApiDeps, caller: Caller, value: string | undefined): Promise<{ zone: string | null; host?: string; node?: string }> {
  if (value === undefined || value === '') return { zone: null };
  const asked = parseZoneRequest(value);
  if (asked.host || asked.node) {
    deps.policy.enforce('os_compute_api:servers:create:forced_host', caller.credentials, { project_id: caller.projectId });
    if (asked.host && !(await listServices(deps.db, { host: asked.host, binary: AGENT_BINARY })).length) throw new BadRequest(`Compute host ${asked.host} could not be found.`);
  }
  if (asked.zone !== null) await assertZoneExists(deps, asked.zone);
  return asked;
}

/** Nova's schema error for a field the negotiated microversion does not have. */
export const unexpected = (object: string, field: string): BadRequest =>
  new BadRequest(`Invalid input for field/attribute ${object}. Additional properties are not allowed ('${field}' was unexpected)`);

/**
 * trusted_image_certificates (2.63): Stratus has no key manager to fetch certificates from, so it cannot validate an
 * image's signature and refuses them, as Nova refuses them for a server booted from a volume.
 */
export function untrustedCertificates(imageRef: string): BadRequest {
  return new BadRequest(imageRef
    ? 'Image certificate validation is not supported by this cloud: trusted_image_certificates cannot be honoured.'
    : 'Image certificate validation is not supported when booting from volume');
}

/**
 * An admin's requested host and/or node (2.74, Nova's requested_destination): the host must be a compute host, the node
 * one of its (or any) nodes; exclusive with `az:host:node`. Unlike a forced host, the scheduler's filters still run.
 */
async function requestedDestination(deps: ComputeApiDeps, caller: Caller, zone: { host?: string; node?: string }, asked: { host?: string; node?: string }) {
  if (!asked.host && !asked.node) return {};
  deps.policy.enforce('compute:servers:create:requested_destination', caller.credentials, { project_id: caller.projectId });
  if (zone.host || zone.node) throw new BadRequest('One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.');
  if (asked.host && !(await listServices(deps.db, { host: asked.host, binary: AGENT_BINARY })).length) throw new BadRequest(`Compute host ${asked.host} could not be found.`);
  if (asked.node && !(await listNodes(deps.db)).some((n) => n.hypervisor_hostname === asked.node && (!asked.host || n.host === asked.host))) {
    throw new BadRequest(`Compute host ${asked.host ?? asked.node} could not be found.`);
  }
  return { ...(asked.host ? { requestedHost: asked.host } : {}), ...(asked.node ? { requestedNode: asked.node } : {}) };
}

async function create(deps: ComputeApiDeps, req: FastifyRequest) {
  const caller = callerOf(deps, req);
  const body = req.body as CreateBody;
  const s = body.server;
  if (!caller.projectId) throw new BadRequest('A project-scoped token is required to create a server.');
  deps.policy.enforce('os_compute_api:servers:create', caller.credentials, { project_id: caller.projectId, user_id: caller.credentials.userId });
  if (s.description !== undefined && !atLeast(req, 19)) throw new BadRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)");
  for (const [field, minor] of [['tags', 52], ['trusted_image_certificates', 63], ['host', 74], ['hypervisor_hostname', 74], ['hostname', 90]] as const) {
    if (s[field] !== undefined && !atLeast(req, minor)) throw unexpected('server', field);
  }
  const minCount = Number(s.min_count ?? 1);
  const maxCount = Number(s.max_count ?? minCount);
  if (minCount < 1 || maxCount < minCount) throw new BadRequest('min_count must be <= max_count');

  const flavor = await getFlavor(deps.db, String(s.flavorRef));
  if (!flavor || flavor.disabled) throw invalidFlavorRef();
  const asked = requestedNetworks(req, s.networks);

  // Boot from volume: imageRef may be empty when block_device_mapping_v2 names the boot device.
  const bootPlan = await planBlockDevices(deps, req, {
    imageRef: s.imageRef, items: s.block_device_mapping_v2, flavor, maxCount, checkImage: (ref, fetched) => checkImage(deps, req, ref, flavor, fetched),
  });
  const imageRef = bootPlan.imageRef;
  if (s.trusted_image_certificates) throw untrustedCertificates(imageRef);
  if (s.hostname !== undefined && maxCount > 1) throw new BadRequest('Unable to set the same hostname on multiple instances: boot them one by one.');

  const networks = await resolveRequestedNetworks(await deps.network(), asked, {
    token: req.ctx.authToken ?? '', globalRequestId: req.ctx.globalRequestId, projectId: caller.projectId,
  });
  const groups = (s.security_groups ?? []).map((g) => g.name);
  const network = await deps.network();
  if (groups.some((g) => g !== 'default') && network && Array.isArray(networks) && networks.length > 0) {
    // Checked here so a group that does not exist is a 400 now, not a failed build later (the agent applies them).
    const user = { token: req.ctx.authToken ?? '', globalRequestId: req.ctx.globalRequestId };
    matchSecurityGroups(groups, await network.listSecurityGroups({ project_id: caller.projectId }, user), caller.projectId);
  }
  if (maxCount > 1 && Array.isArray(networks) && networks.some((n) => n.portId)) {
    throw new BadRequest('Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.');
  }

  let keyData: string | null = null;
  if (s.key_name !== undefined) {
    const key = await getKeyPair(deps.db, caller.credentials.userId, s.key_name);
    if (!key) throw keypairNotFound(s.key_name, caller.credentials.userId);
    keyData = key.public_key;
  }
  if (s.user_data !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(s.user_data.replace(/\s/g, ''))) {
    throw new BadRequest('User data needs to be valid base 64.');
  }

  const limits = await projectLimits(deps.db, caller.projectId);
  // A server group named in the hints must be the caller's, with room for more members.
  const groupId = body['os:scheduler_hints']?.group;
  let group;
  if (groupId !== undefined) {
    if (typeof groupId !== 'string') throw new BadRequest('Invalid input for field/attribute group.');
    group = await loadGroup(deps, caller, groupId);
    checkQuota({ server_group_members: limits.server_group_members }, { server_group_members: (await liveMembers(deps.db, group.uuid)).length }, { server_group_members: maxCount });
  }

  // Quota: check, write, re-check (Nova's recheck_quota): concurrent creates cannot both slip under the limit.
  const want = (n: number) => ({ instances: n, cores: n * flavor.vcpus, ram: n * flavor.ram });
  const usage = await projectUsage(deps.db, caller.projectId);
  checkQuota(limits, usage, want(minCount));
  let count = maxCount;
  while (count > minCount) {
    try { checkQuota(limits, usage, want(count)); break; } catch { count -= 1; }
  }

  const zone = await requestedZone(deps, caller, s.availability_zone);
  const destination = await requestedDestination(deps, caller, zone, { host: s.host, node: s.hypervisor_hostname });
  const extraSpecs = await listExtraSpecs(deps.db, flavor.id);
  const now = new Date().toISOString();
  const reservationId = `r-${randomUUID().slice(0, 8)}`;
  const adminPass = randomUUID().replace(/-/g, '').slice(0, 12);
  const created: Instance[] = [];
  for (let index = 0; index < count; index += 1) {
    const instance: Instance = {
      uuid: randomUUID(), name: count > 1 ? `${s.name}-${index + 1}` : s.name, description: s.description ?? null,
      projectId: caller.projectId, userId: caller.credentials.userId, imageRef, flavor: { ...flavor, extraSpecs },
      keyName: s.key_name ?? null, keyData, userData: s.user_data ?? null, availabilityZone: zone.zone,
      hostname: s.hostname ?? hostnameOf(s.name, index, count), host: null, node: null, vmState: VmState.building, taskState: TaskState.scheduling,
      powerState: PowerState.nostate, configDrive: truthy(s.config_drive), accessIpV4: s.accessIPv4 ?? null, accessIpV6: s.accessIPv6 ?? null,
      locked: false, lockedBy: null, reservationId, launchIndex: index, requestedNetworks: networks,
      securityGroups: (s.security_groups ?? [{ name: 'default' }]).map((g) => g.name), networkInfo: [],
      requestSpec: { triedHosts: [], attempts: 0, hints: body['os:scheduler_hints'] ?? {}, availabilityZone: zone.zone, ...(zone.host ? { forcedHost: zone.host } : {}),
        ...(zone.node ? { forcedNode: zone.node } : {}), ...destination }, fault: null, metadata: s.metadata ?? {},
      launchedAt: null, terminatedAt: null, createdAt: now, updatedAt: now, deletedAt: null, deleted: false,
    };
    await insertInstance(deps.db, instance);
    if (s.tags?.length) await replaceTags(deps.db, instance.uuid, s.tags);
    if (group) await addMember(deps.db, group.uuid, instance.uuid);
    await startAction(deps.db, {
      instanceUuid: instance.uuid, action: 'create', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
      userId: caller.credentials.userId, projectId: caller.projectId,
    });
    created.push(instance);
  }
  try {
    checkQuota(limits, await projectUsage(deps.db, caller.projectId), { instances: 0, cores: 0, ram: 0 });
    for (const i of created) await recordBlockDevices(deps, req, i.uuid, bootPlan);
  } catch (err) {
    for (const i of created) await patchInstance(deps.db, i.uuid, { deleted: true, deletedAt: new Date().toISOString(), vmState: VmState.deleted, taskState: null });
    throw err;
  }
  await deps.conductor.cast('build_instances', { uuids: created.map((i) => i.uuid) }, toBusContext(req.ctx, { forwardToken: true }));

  if (truthy(s.return_reservation_id)) return { reservation_id: reservationId };
  const first = created[0];
  return {
    server: {
      id: first.uuid, links: serverLinks(req, first.uuid), 'OS-DCF:diskConfig': 'MANUAL',
      security_groups: first.securityGroups.map((name) => ({ name })), adminPass,
    },
  };
}

export function registerServers(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/v2.1/servers', { schema: { body: createServerBody } }, async (req, reply) => reply.code(202).send(await create(deps, req)));
  app.get('/v2.1/servers', { schema: { querystring: listServersQuery } }, async (req) => listServers(deps, req, false));
  app.get('/v2.1/servers/detail', { schema: { querystring: listServersQuery } }, async (req) => listServers(deps, req, true));

  app.get('/v2.1/servers/:server_id', async (req) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:show');
    // server_groups is shown from 2.71 only: below it the membership is not read (show is what clients poll).
    return { server: serverDetail(req, server, (await viewsFor(deps, caller, [server], { withGroups: atLeast(req, 71) }))(server)) };
  });

  app.put('/v2.1/servers/:server_id', { schema: { body: updateServerBody } }, async (req) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:update');
    const u = (req.body as { server: { name?: string; description?: string | null; accessIPv4?: string; accessIPv6?: string; hostname?: string } }).server;
    if (u.description !== undefined && !atLeast(req, 19)) throw new BadRequest("Invalid input for field/attribute server. Additional properties are not allowed ('description' was unexpected)");
    if (u.hostname !== undefined && !atLeast(req, 90)) throw unexpected('server', 'hostname');
    const updated = await updateInstance(deps.db, server.uuid, {
      name: u.name, description: u.description, accessIpV4: u.accessIPv4, accessIpV6: u.accessIPv6, hostname: u.hostname,
    });
    if (!updated) throw instanceNotFound(server.uuid);
    return { server: serverDetail(req, updated, (await viewsFor(deps, caller, [updated], { withGroups: atLeast(req, 71) }))(updated)) };
  });

  app.delete('/v2.1/servers/:server_id', async (req, reply) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:delete');
    assertUnlocked(caller, server);
    await deleteServer(deps, req, server);
    return reply.code(204).send();
  });
}

const BUSY: string[] = [TaskState.rebuilding, TaskState.resizePrep, TaskState.resizeMigrating, TaskState.resizeMigrated, TaskState.resizeFinish, TaskState.resizeReverting];

/**
 * Marks the server deleting and hands it to its agent; a server no agent holds (never scheduled, or failed) is
 * deleted here at once, with its Placement claim if any.
 */
async function deleteServer(deps: ComputeApiDeps, req: FastifyRequest, server: Instance): Promise<void> {
  const caller = callerOf(deps, req);
  // A rebuild or a resize on its way between hosts is not interrupted: the agent would spawn again after the delete's
  // destroy, and a resize's allocations are split between the server and its migration.
  if (BUSY.includes(server.taskState ?? '')) throw instanceInvalidState('task_state', server.taskState!, server.uuid, 'delete');
  if (SHELVE_TASK_STATES.includes(server.taskState ?? '')) throw instanceInvalidState('task_state', server.taskState!, server.uuid, 'delete');
  const marked = await patchInstance(deps.db, server.uuid, { taskState: TaskState.deleting }, {
    taskState: [null, TaskState.scheduling, TaskState.spawning, TaskState.networking, TaskState.blockDeviceMapping, TaskState.poweringOff,
      TaskState.poweringOn, TaskState.rebooting, TaskState.rebootingHard, TaskState.pausing, TaskState.unpausing, TaskState.suspending, TaskState.resuming],
  });
  if (!marked) return; // already being deleted
  await dropFinishedResize(deps, req, server);
  await startAction(deps.db, {
    instanceUuid: server.uuid, action: 'delete', requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: caller.credentials.userId, projectId: server.projectId,
  });
  const ctx = toBusContext(req.ctx, { forwardToken: true });
  await releaseShelvedServer(deps, req, server);
  if (server.host) {
    await deps.agents.cast('terminate_instance', { uuid: server.uuid }, ctx, { server: server.host });
    return;
  }
  // No agent has it: its volumes are let go (and those marked delete_on_termination deleted) here.
  await releaseBlockDevices(deps, await volumeAuth(deps, req), server.uuid, { deleteVolumes: true });
  // A claim can exist without a host: a scheduler that answered after the conductor's call timed out claimed anyway.
  await deps.placement.deleteAllocations(server.uuid, { globalRequestId: req.ctx.globalRequestId }).catch(() => undefined);
  await deps.conductor.call('instance_destroy', { uuid: server.uuid }, ctx);
  await deps.conductor.call('action_finish', { uuid: server.uuid, requestId: req.ctx.requestId }, ctx);
}

