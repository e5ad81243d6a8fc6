// What the block-storage API handlers need, passed in once by createBlockStorageApi, and who the caller is.
import type { FastifyRequest } from 'fastify';
import type { Credentials } from '#lib/context.ts';
import { Unauthorized } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { PolicyEnforcer } from '#lib/policy/index.ts';
import type { BusContext, RpcClient } from '#lib/bus/index.ts';
import { toBusContext } from '#lib/bus/index.ts';
import type { QuotaLimits } from '../domain/quotas.ts';
import type { BackupStoreKind } from '../domain/backup-location.ts';
import type { Snapshot, Volume } from '../domain/models.ts';
import { snapshotNotFound, volumeNotFound } from '../domain/errors.ts';
import type { BlockStorageDb } from '../db/tables.ts';
import { getVolume } from '../db/volumes-repo.ts';
import { getSnapshot } from '../db/snapshots-repo.ts';
import type { SchedulerRpcMethods } from '../rpc/scheduler-rpc.ts';
import type { VolumeRpcMethods } from '../rpc/volume-rpc.ts';

export interface ApiSettings {
  maxLimit: number;
  quotaDefaults: QuotaLimits;
  defaultFormat: string;
  defaultZone: string;
  rpcTimeoutMs: number;
  serviceDownTimeS: number;
}

/** How the API reaches the Image service: the catalog's endpoint and its own service token. */
export interface ImageAccess {
  endpoint(): Promise<string | undefined>;
  serviceToken(): Promise<string>;
}

/** Where new backups go (backup_driver), and how the API finds a project's Object Storage account for them. */
export interface BackupAccess {
  store: BackupStoreKind;
  defaultContainer: string;
  /** The project's Object Storage account URL (…/v1/AUTH_<project>); undefined when there is no Object Storage. */
  swiftAccountUrl(projectId: string): Promise<string | undefined>;
}

export interface BlockStorageApiDeps {
  db: BlockStorageDb;
  images?: ImageAccess;
  /** Absent: backups go to the file store in the default container. */
  backups?: BackupAccess;
  policy: PolicyEnforcer;
  scheduler: RpcClient<SchedulerRpcMethods>;
  volume: RpcClient<VolumeRpcMethods>;
  settings: ApiSettings;
  log: Logger;
}

export interface Caller {
  credentials: Credentials;
  projectId?: string;
  userId: string;
  isAdmin: boolean;
  /** Another service's user (role service): may read any project's volume (volume:get), as Nova does for events. */
  isService: boolean;
}

export function callerOf(deps: BlockStorageApiDeps, req: FastifyRequest): Caller {
  const credentials = req.ctx.credentials;
  if (!credentials) throw new Unauthorized();
  const projectId = credentials.scope.kind === 'project' ? credentials.scope.projectId : undefined;
  return { credentials, projectId, userId: credentials.userId, isAdmin: deps.policy.allowed('context_is_admin', credentials, {}),
    isService: deps.policy.allowed('service_role', credentials, {}) };
}

/**
 * The project of the request: the URL's (/v3/{project_id}/…), or for project-less URLs (/v3/…, what a catalog without
 * the project id gives clients) the token's.
 */
export function pathProject(req: FastifyRequest): string {
  const fromUrl = (req.params as { project_id?: string }).project_id;
  if (fromUrl) return fromUrl;
  const scope = req.ctx.credentials?.scope;
  return scope?.kind === 'project' ? scope.projectId : '';
}

/** Enforces `rule` against a target in `projectId` (the resource's, or the URL's for creates and lists). */
export function authorize(deps: BlockStorageApiDeps, caller: Caller, rule: string, projectId: string | undefined): void {
  deps.policy.enforce(rule, caller.credentials, { project_id: projectId ?? caller.projectId });
}

export function busContext(req: FastifyRequest): BusContext {
  return toBusContext(req.ctx);
}

/**
 * A volume the caller may act on under `rule`: another project's volume (or one whose data is already deleted) is a
 * 404, never a 403, so ids do not leak.
 */
export async function loadVolume(deps: BlockStorageApiDeps, caller: Caller, id: string, rule: string): Promise<Volume> {
  const v = await getVolume(deps.db, id);
  const seesAll = caller.isAdmin || (caller.isService && rule === 'volume:get');
  if (!v || v.status === 'deleted' || (!seesAll && v.projectId !== caller.projectId)) throw volumeNotFound(id);
  authorize(deps, caller, rule, v.projectId);
  return v;
}

export async function loadSnapshot(deps: BlockStorageApiDeps, caller: Caller, id: string, rule: string): Promise<Snapshot> {
  const s = await getSnapshot(deps.db, id);
  if (!s || (!caller.isAdmin && s.projectId !== caller.projectId)) throw snapshotNotFound(id);
  authorize(deps, caller, rule, s.projectId);
  return s;
}
