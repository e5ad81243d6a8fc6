// The server actions that rebuild or move a server: rebuild (a new image on the same host), resize to another flavor
// (scheduled by the conductor, claimed in Placement), and confirmResize / revertResize of a server in VERIFY_RESIZE.
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { toBusContext } from '#lib/bus/index.ts';
import { BadRequest } from '#lib/errors.ts';
import type { Instance } from '../domain/instance.ts';
import { TaskState, VmState } from '../domain/vm-states.ts';
import { checkQuota } from '../domain/quotas.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { startAction } from '../db/actions-repo.ts';
import { getFlavor, listExtraSpecs } from '../db/flavors-repo.ts';
import { getInstance, projectUsage, setInstanceMetadata, updateInstance } from '../db/instances-repo.ts';
import { insertMigration, latestMigration, updateMigration } from '../db/migrations-repo.ts';
import { projectLimits } from '../db/quotas-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';
import { serverDetail } from './server-views.ts';
import { assertUnlocked, checkImage, loadServer, unexpected, untrustedCertificates, viewsFor } from './servers.ts';

async function record(deps: ComputeApiDeps, req: FastifyRequest, server: Instance, action: string): Promise<void> {
  await startAction(deps.db, {
    instanceUuid: server.uuid, action, requestId: req.ctx.requestId, globalRequestId: req.ctx.globalRequestId,
    userId: req.ctx.credentials!.userId, projectId: server.projectId,
  });
}

/** Moves task_state from null to `to` when vm_state is one of `vmStates`: 409 otherwise, as Nova's check_instance_state. */
async function begin(deps: ComputeApiDeps, server: Instance, action: string, vmStates: string[], to: string): Promise<void> {
  if (!vmStates.includes(server.vmState) || !server.host) throw instanceInvalidState('vm_state', server.vmState, server.uuid, action);
  if (!await updateInstance(deps.db, server.uuid, { taskState: to }, { taskState: [null] })) {
    throw instanceInvalidState('task_state', String(server.taskState), server.uuid, action);
  }
}

interface RebuildArgs {
  imageRef: string; name?: string; description?: string | null; metadata?: Record<string, string>; adminPass?: string;
  accessIPv4?: string; accessIPv6?: string; trusted_image_certificates?: string[] | null; hostname?: string;
}

export async function rebuild(deps: ComputeApiDeps, req: FastifyRequest, args: RebuildArgs) {
  if (args.description !== undefined && !atLeast(req, 19)) {
    throw new BadRequest("Invalid input for field/attribute rebuild. Additional properties are not allowed ('description' was unexpected)");
  }
  if (args.trusted_image_certificates !== undefined && !atLeast(req, 63)) throw unexpected('rebuild', 'trusted_image_certificates');
  if (args.hostname !== undefined && !atLeast(req, 90)) throw unexpected('rebuild', 'hostname');
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:rebuild');
  assertUnlocked(caller, server);
  if (args.trusted_image_certificates) throw untrustedCertificates(server.imageRef);
  // Reimaging a root volume (2.93) needs Block Storage's reimage (3.68), which Stratus's does not have: before 2.93
  // Nova refuses it like this, and from 2.93 it would fail on the host; refusing up front changes nothing.
  if (!server.imageRef) {
    throw new BadRequest(atLeast(req, 93)
      ? `Image ${args.imageRef} is unacceptable: rebuilding a volume-backed server needs a root volume reimage, which this cloud's Block Storage does not support.`
      : `Image ${args.imageRef} is unacceptable: Unable to rebuild with a different image for a volume-backed server.`);
  }
  await checkImage(deps, req, args.imageRef, server.flavor);
  await begin(deps, server, 'rebuild', [VmState.active, VmState.stopped, VmState.error], TaskState.rebuilding);
  await updateInstance(deps.db, server.uuid, {
    imageRef: args.imageRef, name: args.name, description: args.description, accessIpV4: args.accessIPv4, accessIpV6: args.accessIPv6,
    hostname: args.hostname,
  });
  if (args.metadata !== undefined) await setInstanceMetadata(deps.db, server.uuid, args.metadata, true);
  await record(deps, req, server, 'rebuild');
  await deps.agents.cast('rebuild_instance', { uuid: server.uuid }, toBusContext(req.ctx, { forwardToken: true }), { server: server.host! });
  const updated = (await getInstance(deps.db, server.uuid))!;
  const adminPass = args.adminPass ?? randomUUID().replace(/-/g, '').slice(0, 12);
  return { server: { ...serverDetail(req, updated, (await viewsFor(deps, caller, [updated], { withGroups: true }))(updated)), adminPass } };
}

export async function resize(deps: ComputeApiDeps, req: FastifyRequest, args: { flavorRef: string | number }) {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:resize');
  assertUnlocked(caller, server);
  const flavor = await getFlavor(deps.db, String(args.flavorRef));
  if (!flavor || flavor.disabled) throw new BadRequest('Unable to locate requested flavor.');
  if (flavor.id === server.flavor.id) throw new BadRequest('When resizing, instances must change flavor!');
  if (flavor.disk < server.flavor.disk) throw new BadRequest('Resize error: Unable to resize disk down.');
  // Only what grows counts against the quota (Nova's upsize delta).
  const grow = { instances: 0, cores: Math.max(0, flavor.vcpus - server.flavor.vcpus), ram: Math.max(0, flavor.ram - server.flavor.ram) };
  checkQuota(await projectLimits(deps.db, server.projectId), await projectUsage(deps.db, server.projectId), grow);
  await begin(deps, server, 'resize', [VmState.active, VmState.stopped], TaskState.resizePrep);
  const migration = await insertMigration(deps.db, {
    instanceUuid: server.uuid, projectId: server.projectId, userId: server.userId, migrationType: 'resize', status: 'pre-migrating',
    sourceCompute: server.host, sourceNode: server.node, oldFlavor: server.flavor, newFlavor: { ...flavor, extraSpecs: await listExtraSpecs(deps.db, flavor.id) },
  });
  await record(deps, req, server, 'resize');
  await deps.conductor.cast('migrate_server', { uuid: server.uuid, migrationUuid: migration.uuid, allowSameHost: deps.allowResizeToSameHost },
    toBusContext(req.ctx, { forwardToken: true }));
}

/**
 * Cold migration (Nova's os-migrateServer `migrate`, admin): a resize to the same flavor on another host, never this
 * one; from 2.56 an admin may name the host (the scheduler's filters still run). The server then waits in
 * VERIFY_RESIZE for confirmResize or revertResize, as after a resize.
 */
export async function migrate(deps: ComputeApiDeps, req: FastifyRequest, args: { host?: string | null } | null) {
  if (args !== null && !atLeast(req, 56)) throw new BadRequest(`Invalid input for field/attribute migrate. Value: ${JSON.stringify(args)}. It is not of type 'null'`);
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:os-migrate-server:migrate');
  assertUnlocked(caller, server);
  const host = args?.host ?? undefined;
  if (host !== undefined && host === server.host) throw new BadRequest('Cannot migrate to the host where the server exists.');
  await begin(deps, server, 'migrate', [VmState.active, VmState.stopped], TaskState.resizePrep);
  const migration = await insertMigration(deps.db, {
    instanceUuid: server.uuid, projectId: server.projectId, userId: server.userId, migrationType: 'migration', status: 'pre-migrating',
    sourceCompute: server.host, sourceNode: server.node, oldFlavor: server.flavor, newFlavor: { ...server.flavor, extraSpecs: await listExtraSpecs(deps.db, server.flavor.id) },
  });
  await record(deps, req, server, 'migrate');
  await deps.conductor.cast('migrate_server', { uuid: server.uuid, migrationUuid: migration.uuid, allowSameHost: false, ...(host ? { requestedHost: host } : {}) },
    toBusContext(req.ctx, { forwardToken: true }));
}

/** The finished resize a server in VERIFY_RESIZE waits on; 400 when there is none (Nova's MigrationNotFoundByStatus). */
async function finishedMigration(deps: ComputeApiDeps, server: Instance, action: string) {
  if (server.vmState !== VmState.resized) throw instanceInvalidState('vm_state', server.vmState, server.uuid, action);
  const migration = await latestMigration(deps.db, server.uuid, ['finished']);
  if (!migration) throw new BadRequest(`Instance ${server.uuid} has not been resized.`);
  return migration;
}

export async function confirmResize(deps: ComputeApiDeps, req: FastifyRequest) {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:confirm_resize');
  assertUnlocked(caller, server);
  if (server.taskState !== null) throw instanceInvalidState('task_state', server.taskState, server.uuid, 'confirmResize');
  const migration = await finishedMigration(deps, server, 'confirmResize');
  // The migration's status is the lock: a second confirm (or a revert) racing this one finds it taken.
  if (!await updateMigration(deps.db, migration.uuid, { status: 'confirming' }, ['finished'])) throw new BadRequest(`Instance ${server.uuid} has not been resized.`);
  await record(deps, req, server, 'confirmResize');
  await deps.agents.cast('confirm_resize', { uuid: server.uuid, migrationUuid: migration.uuid }, toBusContext(req.ctx, { forwardToken: true }),
    { server: migration.sourceCompute! });
}

export async function revertResize(deps: ComputeApiDeps, req: FastifyRequest) {
  const { caller, server } = await loadServer(deps, req, 'os_compute_api:servers:revert_resize');
  assertUnlocked(caller, server);
  const migration = await finishedMigration(deps, server, 'revertResize');
  await begin(deps, server, 'revertResize', [VmState.resized], TaskState.resizeReverting);
  if (!await updateMigration(deps.db, migration.uuid, { status: 'reverting' }, ['finished'])) {
    await updateInstance(deps.db, server.uuid, { taskState: null }, { taskState: [TaskState.resizeReverting] });
    throw new BadRequest(`Instance ${server.uuid} has not been resized.`);
  }
  await record(deps, req, server, 'revertResize');
  await deps.agents.cast('revert_resize', { uuid: server.uuid, migrationUuid: migration.uuid }, toBusContext(req.ctx, { forwardToken: true }),
    { server: migration.destCompute! });
}

/**
 * A server deleted in VERIFY_RESIZE is confirmed first (Nova does so): the migration's allocation is dropped here and,
 * when the server changed hosts, the source drops the disks it kept.
 */
export async function dropFinishedResize(deps: ComputeApiDeps, req: FastifyRequest, server: Instance): Promise<void> {
  if (server.vmState !== VmState.resized) return;
  const migration = await latestMigration(deps.db, server.uuid, ['finished']);
  if (!migration || !await updateMigration(deps.db, migration.uuid, { status: 'confirmed' }, ['finished'])) return;
  await deps.placement.deleteAllocations(migration.uuid, { globalRequestId: req.ctx.globalRequestId });
  // After a move to another host the source still keeps the old disks; the delete goes to the destination only.
  if (migration.sourceCompute && migration.sourceCompute !== migration.destCompute) {
    await deps.agents.cast('drop_resize_source', { uuid: server.uuid }, toBusContext(req.ctx), { server: migration.sourceCompute });
  }
}

