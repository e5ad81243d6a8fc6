// What the image API handlers need, passed in once by createImageApi, and the small helpers every handler uses:
// who the caller is, loading an image the caller may see, and authorizing with Glance's policy targets.
import type { FastifyRequest } from 'fastify';
import type { Credentials } from '#lib/context.ts';
import { Unauthorized } from '#lib/errors.ts';
import type { Logger } from '#lib/log.ts';
import type { PolicyEnforcer } from '#lib/policy/index.ts';
import type { ImageDb } from '../db/tables.ts';
import { getImage } from '../db/images-repo.ts';
import { getMember } from '../db/members-repo.ts';
import type { Image, Member } from '../domain/image-model.ts';
import { canSee } from '../domain/visibility.ts';
import type { Viewer } from '../domain/visibility.ts';
import { imageNotFound, policyDenied } from '../domain/errors.ts';
import type { ImageStore } from '../stores/store.ts';
import type { StoreSet } from '../stores/store-set.ts';
import type { InflightTracker, QuotaLimits } from '../provider/quota.ts';
import type { ImportTasks } from '../provider/import-tasks.ts';
import type { ImportLocks } from '../provider/import-lock.ts';

export interface ImageApiDeps {
  db: ImageDb;
  /** The configured stores: new data goes to the default one, reads and deletes to the one holding the data. */
  store: StoreSet;
  /** Where `glance-direct` keeps staged data until its import (never served, never the image store). */
  staging: ImageStore;
  policy: PolicyEnforcer;
  settings: ImageApiSettings;
  limits: QuotaLimits;
  inflight: InflightTracker;
  /** Imports running after their request was answered (copy-image). */
  tasks: ImportTasks;
  /** The per-image import lock (os_glance_import_task) with its heartbeat and expiry. */
  locks: ImportLocks;
  log: Logger;
}

/** The options the handlers read (resolved from config.ts by roles.ts). */
export interface ImageApiSettings {
  /** Images a list returns without a limit, and at most whatever the limit. */
  limitParamDefault: number;
  apiLimitMax: number;
  /** Per-image limits; -1 for none. */
  memberQuota: number;
  propertyQuota: number;
  tagQuota: number;
}

export interface Caller extends Viewer {
  credentials: Credentials;
}

/** The authenticated caller; an admin is whoever passes context_is_admin (the admin role by default). */
export function callerOf(deps: ImageApiDeps, req: FastifyRequest): Caller {
  const credentials = req.ctx.credentials;
  if (!credentials) throw new Unauthorized();
  const projectId = credentials.scope.kind === 'project' ? credentials.scope.projectId : undefined;
  return { credentials, projectId, isAdmin: deps.policy.allowed('context_is_admin', credentials, {}) };
}

/** Glance's policy target for an image: its owner as project_id, and member_id when the caller is a member. */
export function imageTarget(image: Image, caller: Caller, membership?: Member): Record<string, unknown> {
  return {
    project_id: image.owner ?? undefined, owner: image.owner ?? undefined, visibility: image.visibility,
    member_id: membership ? membership.memberId : undefined,
  };
}

/** Enforces `rule` with Glance's message on refusal. */
export function authorize(deps: ImageApiDeps, caller: Caller, rule: string, target: Record<string, unknown>): void {
  if (!deps.policy.allowed(rule, caller.credentials, target)) throw policyDenied(rule);
}

export interface VisibleImage {
  image: Image;
  /** The caller's project's membership of the image, if any. */
  membership?: Member;
  target: Record<string, unknown>;
}

/** Loads an image the caller may see; 404 (never 403) for one they may not, so ids do not leak. */
export async function loadVisible(deps: ImageApiDeps, caller: Caller, id: string): Promise<VisibleImage> {
  const image = await getImage(deps.db, id);
  if (!image) throw imageNotFound(id);
  const membership = caller.projectId !== undefined && image.owner !== caller.projectId ? await getMember(deps.db, id, caller.projectId) : undefined;
  if (!canSee(image, caller, membership)) throw imageNotFound(id);
  return { image, membership, target: imageTarget(image, caller, membership) };
}

/** The configured stores' ids, the default first, as import requests are checked against them. */
export const storeIds = (deps: ImageApiDeps) => ({ all: deps.store.stores.map((s) => s.id), default: deps.store.id });

export const idParam = (req: FastifyRequest): string => (req.params as { image_id: string }).image_id;
