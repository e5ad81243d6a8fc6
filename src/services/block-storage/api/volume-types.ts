// Volume types: anyone lists and shows the types they can see (private ones only with access); admins create, update
// and delete them, manage extra specs (non-admins see only user-visible specs) and share private types with projects.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { VolumeType } from '../domain/models.ts';
import { extraSpecNotFound, typeAccessExists, typeAccessNotFound, volumeTypeExists, volumeTypeInUse, volumeTypeNotFound } from '../domain/errors.ts';
import {
  DEFAULT_TYPE_NAME, addTypeAccess, deleteExtraSpec, deleteType, getType, getTypeByName, insertType, listTypeAccess, listTypes,
  removeTypeAccess, typeInUse, updateType, upsertExtraSpecs,
} from '../db/types-repo.ts';
import { authorize, callerOf } from './deps.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { typeView } from './views.ts';
import { visibleType } from './volume-types-lookup.ts';
import { toBool } from './schemas/common.ts';
import { createTypeBody, extraSpecItemBody, extraSpecsBody, typeActionBody, updateTypeBody } from './schemas/types.ts';

const typeIdParam = (req: FastifyRequest): string => (req.params as { type_id: string }).type_id;
const stringify = (specs: Record<string, string | number | boolean>): Record<string, string> =>
  Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, String(v)]));

async function loadType(deps: BlockStorageApiDeps, caller: Caller, id: string): Promise<VolumeType> {
  const t = await visibleType(deps, caller, id === 'default' ? await getTypeByName(deps.db, DEFAULT_TYPE_NAME) : await getType(deps.db, id));
  if (!t) throw volumeTypeNotFound(id);
  return t;
}

const seesAllSpecs = (deps: BlockStorageApiDeps, caller: Caller) => deps.policy.allowed('volume_extension:access_types_extra_specs', caller.credentials, {});

export function registerVolumeTypes(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  const base = '/types';
  const admin = (req: FastifyRequest, rule = 'volume_extension:types_manage') => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, rule, caller.projectId);
    return caller;
  };

  app.get(base, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:type_get_all', caller.projectId);
    const q = req.query as { is_public?: string };
    const flag = q.is_public === undefined ? true : q.is_public.toLowerCase() === 'none' ? undefined : toBool(q.is_public, 'is_public');
    const types = await listTypes(deps.db, caller.isAdmin ? { isPublic: flag } : { accessProject: caller.projectId ?? '' });
    return { volume_types: types.map((t) => typeView(t, seesAllSpecs(deps, caller))) };
  });

  app.get(`${base}/:type_id`, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:type_get', caller.projectId);
    return { volume_type: typeView(await loadType(deps, caller, typeIdParam(req)), seesAllSpecs(deps, caller)) };
  });

  app.post(base, { schema: { body: createTypeBody } }, async (req) => {
    admin(req);
    const b = (req.body as { volume_type: { name: string; description?: string | null; 'os-volume-type-access:is_public'?: boolean | string; is_public?: boolean | string; extra_specs?: Record<string, string> } }).volume_type;
    const pub = b['os-volume-type-access:is_public'] ?? b.is_public;
    const t: VolumeType = { id: randomUUID(), name: b.name, description: b.description ?? null, isPublic: pub === undefined ? true : toBool(pub, 'is_public'), extraSpecs: stringify(b.extra_specs ?? {}), qosSpecsId: null };
    try {
      await insertType(deps.db, t);
    } catch (err) {
      throw isUniqueViolation(err) ? volumeTypeExists(t.name) : err;
    }
    return { volume_type: typeView(t, true) };
  });

  app.put(`${base}/:type_id`, { schema: { body: updateTypeBody } }, async (req) => {
    const caller = admin(req);
    const t = await loadType(deps, caller, typeIdParam(req));
    const b = (req.body as { volume_type: { name?: string; description?: string | null; is_public?: boolean | string } }).volume_type;
    if (t.name === DEFAULT_TYPE_NAME && b.name !== undefined && b.name !== t.name) throw new BadRequest('The default volume type cannot be renamed.');
    try {
      await updateType(deps.db, t.id, { name: b.name, description: b.description, is_public: b.is_public === undefined ? undefined : toBool(b.is_public, 'is_public') });
    } catch (err) {
      throw isUniqueViolation(err) ? volumeTypeExists(b.name ?? t.name) : err;
    }
    return { volume_type: typeView((await getType(deps.db, t.id))!, true) };
  });

  app.delete(`${base}/:type_id`, async (req, reply) => {
    const caller = admin(req);
    const t = await loadType(deps, caller, typeIdParam(req));
    if (t.name === DEFAULT_TYPE_NAME) throw new BadRequest('Default volume type can not be deleted.');
    if (await typeInUse(deps.db, t.id)) throw volumeTypeInUse(t.id);
    await deleteType(deps.db, t.id);
    return reply.code(202).send();
  });

  app.get(`${base}/:type_id/extra_specs`, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:type_get', caller.projectId);
    return { extra_specs: typeView(await loadType(deps, caller, typeIdParam(req)), seesAllSpecs(deps, caller)).extra_specs };
  });
  app.post(`${base}/:type_id/extra_specs`, { schema: { body: extraSpecsBody } }, async (req) => {
    const caller = admin(req);
    const t = await loadType(deps, caller, typeIdParam(req));
    const specs = stringify((req.body as { extra_specs: Record<string, string> }).extra_specs);
    await upsertExtraSpecs(deps.db, t.id, specs);
    return { extra_specs: specs };
  });
  app.get(`${base}/:type_id/extra_specs/:key`, async (req) => {
    const caller = callerOf(deps, req);
    authorize(deps, caller, 'volume_extension:type_get', caller.projectId);
    const t = await loadType(deps, caller, typeIdParam(req));
    const key = (req.params as { key: string }).key;
    const specs = typeView(t, seesAllSpecs(deps, caller)).extra_specs as Record<string, string>;
    if (!(key in specs)) throw extraSpecNotFound(t.id, key);
    return { [key]: specs[key] };
  });
  app.put(`${base}/:type_id/extra_specs/:key`, { schema: { body: extraSpecItemBody } }, async (req) => {
    const caller = admin(req);
    const t = await loadType(deps, caller, typeIdParam(req));
    const key = (req.params as { key: string }).key;
    const body = stringify(req.body as Record<string, string>);
    if (!(key in body)) throw new BadRequest('Request body and URI mismatch');
    await upsertExtraSpecs(deps.db, t.id, body);
    return body;
  });
  app.delete(`${base}/:type_id/extra_specs/:key`, async (req, reply) => {
    const caller = admin(req);
    const t = await loadType(deps, caller, typeIdParam(req));
    const key = (req.params as { key: string }).key;
    if (!await deleteExtraSpec(deps.db, t.id, key)) throw extraSpecNotFound(t.id, key);
    return reply.code(202).send();
  });

  app.get(`${base}/:type_id/os-volume-type-access`, async (req) => {
    const caller = admin(req, 'volume_extension:volume_type_access');
    const t = await loadType(deps, caller, typeIdParam(req));
    if (t.isPublic) throw volumeTypeNotFound(t.id);
    return { volume_type_access: (await listTypeAccess(deps.db, t.id)).map((project_id) => ({ volume_type_id: t.id, project_id })) };
  });
  app.post(`${base}/:type_id/action`, { schema: { body: typeActionBody } }, async (req, reply) => {
    const body = req.body as { addProjectAccess?: { project: string }; removeProjectAccess?: { project: string } };
    const caller = admin(req, `volume_extension:volume_type_access:${body.addProjectAccess ? 'addProjectAccess' : 'removeProjectAccess'}`);
    const t = await loadType(deps, caller, typeIdParam(req));
    if (body.addProjectAccess) {
      if (t.isPublic) throw new BadRequest('Invalid volume type: Type access modification is not applicable to public volume type.');
      try {
        await addTypeAccess(deps.db, t.id, body.addProjectAccess.project);
      } catch (err) {
        throw isUniqueViolation(err) ? typeAccessExists(t.id, body.addProjectAccess.project) : err;
      }
    } else if (!await removeTypeAccess(deps.db, t.id, body.removeProjectAccess!.project)) {
      throw typeAccessNotFound(t.id, body.removeProjectAccess!.project);
    }
    return reply.code(202).send();
  });
}
