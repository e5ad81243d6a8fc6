// QoS specs (admins only): create, list, show, set and delete keys, delete, and associate with volume types. Specs
// whose consumer is front-end or both travel to Compute in a volume's connection_info (data.qos_specs), which is how
// Cinder has the hypervisor enforce them; back-end specs are for drivers that can (the file driver cannot).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import { isUniqueViolation } from '#lib/db/index.ts';
import type { QosSpecs } from '../db/qos-repo.ts';
import { associate, deleteQos, disassociate, getQos, insertQos, listQos, setQosSpecs, typesOfQos } from '../db/qos-repo.ts';
import { getType } from '../db/types-repo.ts';
import { volumeTypeNotFound } from '../domain/errors.ts';
import { authorize, callerOf, pathProject } from './deps.ts';
import type { BlockStorageApiDeps } from './deps.ts';
import { links } from './views.ts';

const CONSUMERS = ['front-end', 'back-end', 'both'];
const specKey = '^[a-zA-Z0-9-_:. ]{1,255}$';

const createBody = {
  type: 'object', required: ['qos_specs'], additionalProperties: false,
  properties: {
    qos_specs: {
      type: 'object', required: ['name'], additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' }, consumer: { type: 'string', enum: CONSUMERS } },
      patternProperties: { [specKey]: { type: 'string', maxLength: 255 } },
    },
  },
} as const;

const setBody = {
  type: 'object', required: ['qos_specs'], additionalProperties: false,
  properties: { qos_specs: { type: 'object', minProperties: 1, additionalProperties: false, patternProperties: { [specKey]: { type: 'string', maxLength: 255 } } } },
} as const;

const deleteKeysBody = {
  type: 'object', required: ['keys'], additionalProperties: false,
  properties: { keys: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 255 } } },
} as const;

const qosNotFound = (id: string) => new NotFound(`No such QoS spec ${id}.`);
const view = (q: QosSpecs) => ({ id: q.id, name: q.name, consumer: q.consumer, specs: q.specs });

export function registerQosSpecs(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  const base = '/qos-specs';
  const admin = (req: FastifyRequest) => authorize(deps, callerOf(deps, req), 'volume_extension:qos_specs_manage', pathProject(req));
  const load = async (req: FastifyRequest) => {
    admin(req);
    const id = (req.params as { qos_id: string }).qos_id;
    const q = await getQos(deps.db, id);
    if (!q) throw qosNotFound(id);
    return q;
  };
  const typeParam = async (req: FastifyRequest) => {
    const typeId = (req.query as { vol_type_id?: string }).vol_type_id;
    if (!typeId) throw new BadRequest('Invalid input received: vol_type_id is required.');
    if (!await getType(deps.db, typeId)) throw volumeTypeNotFound(typeId);
    return typeId;
  };

  app.get(base, async (req) => {
    admin(req);
    return { qos_specs: (await listQos(deps.db)).map(view) };
  });
  app.post(base, { schema: { body: createBody } }, async (req) => {
    admin(req);
    const { name, consumer, ...specs } = (req.body as { qos_specs: Record<string, string> }).qos_specs;
    const q: QosSpecs = { id: randomUUID(), name, consumer: consumer ?? 'back-end', specs };
    try {
      await insertQos(deps.db, q);
    } catch (err) {
      throw isUniqueViolation(err) ? new Conflict(`QoS Specs ${name} already exists.`) : err;
    }
    return { qos_specs: view(q), links: links(req, pathProject(req), 'qos-specs', q.id) };
  });
  app.get(`${base}/:qos_id`, async (req) => {
    const q = await load(req);
    return { qos_specs: view(q), links: links(req, pathProject(req), 'qos-specs', q.id) };
  });
  app.put(`${base}/:qos_id`, { schema: { body: setBody } }, async (req) => {
    const q = await load(req);
    const { consumer, ...specs } = (req.body as { qos_specs: Record<string, string> }).qos_specs;
    if (consumer !== undefined && !CONSUMERS.includes(consumer)) throw new BadRequest(`Invalid input received: consumer must be one of ${CONSUMERS.join(', ')}.`);
    await setQosSpecs(deps.db, q.id, { ...q.specs, ...specs }, consumer ?? q.consumer);
    return { qos_specs: (req.body as { qos_specs: Record<string, string> }).qos_specs };
  });
  app.put(`${base}/:qos_id/delete_keys`, { schema: { body: deleteKeysBody } }, async (req, reply) => {
    const q = await load(req);
    const keys = (req.body as { keys: string[] }).keys;
    const missing = keys.find((k) => !(k in q.specs));
    if (missing) throw new NotFound(`QoS spec ${q.id} has no key ${missing}.`);
    await setQosSpecs(deps.db, q.id, Object.fromEntries(Object.entries(q.specs).filter(([k]) => !keys.includes(k))), q.consumer);
    return reply.code(202).send();
  });
  app.delete(`${base}/:qos_id`, async (req, reply) => {
    const q = await load(req);
    const force = ['true', '1', 'yes'].includes(String((req.query as { force?: string }).force ?? '').toLowerCase());
    if (!force && (await typesOfQos(deps.db, q.id)).length > 0) throw new BadRequest(`QoS Specs ${q.id} is still associated with entities.`);
    await deleteQos(deps.db, q.id);
    return reply.code(202).send();
  });
  app.get(`${base}/:qos_id/associations`, async (req) => {
    const q = await load(req);
    return { qos_associations: (await typesOfQos(deps.db, q.id)).map((t) => ({ association_type: 'volume_type', name: t.name, id: t.id })) };
  });
  app.get(`${base}/:qos_id/associate`, async (req, reply) => {
    const q = await load(req);
    const typeId = await typeParam(req);
    if (!await associate(deps.db, q.id, typeId)) throw new BadRequest(`Type ${typeId} is already associated with another qos specs.`);
    return reply.code(202).send();
  });
  app.get(`${base}/:qos_id/disassociate`, async (req, reply) => {
    const q = await load(req);
    await disassociate(deps.db, q.id, await typeParam(req));
    return reply.code(202).send();
  });
  app.get(`${base}/:qos_id/disassociate_all`, async (req, reply) => {
    const q = await load(req);
    await disassociate(deps.db, q.id);
    return reply.code(202).send();
  });
}
