// os-aggregates (admins): host aggregates, the availability zone as their `availability_zone` metadata, hosts added
// and removed (mirrored into Placement as the aggregates of the hosts' resource providers, as Nova does).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '#lib/db/index.ts';
import { BadRequest, Conflict, NotFound } from '#lib/errors.ts';
import {
  AZ_KEY, addAggregateHost, deleteEmptyAggregate, getAggregate, hostAggregateUuids, insertAggregate, listAggregates, removeAggregateHost,
  renameAggregate, updateAggregateMetadata,
} from '../db/aggregates-repo.ts';
import type { Aggregate } from '../db/aggregates-repo.ts';
import { listNodes, listServices } from '../db/hosts-repo.ts';
import { AGENT_BINARY, INTERNAL_ZONE } from '../domain/zones.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';

const name255 = { type: 'string', minLength: 1, maxLength: 255, pattern: '^(?! )[\\S ]*(?<! )$' };
const zone = { anyOf: [name255, { type: 'null' }] };
const createBody = {
  type: 'object', additionalProperties: false, required: ['aggregate'],
  properties: { aggregate: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: name255, availability_zone: zone } } },
};
const updateBody = {
  type: 'object', additionalProperties: false, required: ['aggregate'],
  properties: { aggregate: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name: name255, availability_zone: zone } } },
};
const actionBody = {
  type: 'object', minProperties: 1, maxProperties: 1, additionalProperties: false,
  properties: {
    add_host: { type: 'object', additionalProperties: false, required: ['host'], properties: { host: name255 } },
    remove_host: { type: 'object', additionalProperties: false, required: ['host'], properties: { host: name255 } },
    set_metadata: {
      type: 'object', additionalProperties: false, required: ['metadata'],
      properties: { metadata: { type: 'object', additionalProperties: { anyOf: [{ type: 'string', maxLength: 255 }, { type: 'null' }] },
        propertyNames: { minLength: 1, maxLength: 255 } } },
    },
  },
};

const time = (t: string | null): string | null => (t ? t.replace(/Z$/, '') : null);

function view(req: FastifyRequest, a: Aggregate, full = true): Record<string, unknown> {
  return {
    id: a.id, name: a.name, availability_zone: a.metadata[AZ_KEY] ?? null, created_at: time(a.createdAt), updated_at: time(a.updatedAt),
    deleted_at: null, deleted: false, ...(full ? { hosts: a.hosts, metadata: a.metadata } : {}), ...(atLeast(req, 41) ? { uuid: a.uuid } : {}),
  };
}

const aggregateNotFound = (id: string | number) => new NotFound(`Aggregate ${id} could not be found.`);
const invalidAction = (action: string, id: number, reason: string) => `Cannot perform action '${action}' on aggregate ${id}. Reason: ${reason}.`;

export function registerAggregates(app: FastifyInstance, deps: ComputeApiDeps): void {
  const admin = (req: FastifyRequest, rule: string) => {
    const caller = callerOf(deps, req);
    deps.policy.enforce(`os_compute_api:os-aggregates:${rule}`, caller.credentials, { project_id: caller.projectId });
  };
  const load = async (req: FastifyRequest): Promise<Aggregate> => {
    const raw = (req.params as { id: string }).id;
    if (!/^[0-9]+$/.test(raw)) throw new BadRequest(`Aggregate id ${raw} is not an integer.`);
    const agg = await getAggregate(deps.db, Number(raw));
    if (!agg) throw aggregateNotFound(raw);
    return agg;
  };

  /**
   * A zone change must leave every host of the aggregate in one zone (Nova's check across a host's aggregates), and
   * the internal zone of the control services cannot be given to hosts.
   */
  async function checkZone(agg: Pick<Aggregate, 'id' | 'hosts'>, zoneName: string | null | undefined, action: string, status: 400 | 409 = 400, hosts = agg.hosts) {
    if (zoneName === undefined || zoneName === null) return;
    const fail = (reason: string) => { throw status === 400 ? new BadRequest(invalidAction(action, agg.id, reason)) : new Conflict(invalidAction(action, agg.id, reason)); };
    if (zoneName === INTERNAL_ZONE) fail(`The availability zone '${zoneName}' is reserved for internal services`);
    if (!hosts.length) return;
    for (const other of await listAggregates(deps.db)) {
      if (other.id === agg.id) continue;
      const otherZone = other.metadata[AZ_KEY];
      const shared = other.hosts.find((h) => hosts.includes(h));
      if (shared && otherZone !== undefined && otherZone !== zoneName) {
        fail(`One or more hosts already in availability zone(s) ['${otherZone}'] (host ${shared})`);
      }
    }
  }

  /** Placement's view follows the database: the host's nodes are in exactly the aggregates the host is in. */
  async function mirror(req: FastifyRequest, host: string) {
    const aggregates = await hostAggregateUuids(deps.db, host);
    for (const node of (await listNodes(deps.db)).filter((n) => n.host === host)) {
      try {
        await deps.placement.setAggregates(node.uuid, aggregates, { globalRequestId: req.ctx.globalRequestId });
      } catch (err) {
        deps.log.warn({ host, node: node.uuid, err: (err as Error).message }, 'cannot mirror the host\'s aggregates into Placement');
      }
    }
  }

  app.get('/v2.1/os-aggregates', async (req) => {
    admin(req, 'index');
    return { aggregates: (await listAggregates(deps.db)).map((a) => view(req, a)) };
  });

  app.post('/v2.1/os-aggregates', { schema: { body: createBody } }, async (req) => {
    admin(req, 'create');
    const b = (req.body as { aggregate: { name: string; availability_zone?: string | null } }).aggregate;
    const zoneName = b.availability_zone ?? null;
    await checkZone({ id: 0, hosts: [] }, zoneName, 'create');
    let id: number;
    try {
      id = await insertAggregate(deps.db, b.name, zoneName);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Aggregate ${b.name} already exists.`);
      throw err;
    }
    // Nova's create answers without hosts and metadata.
    return { aggregate: view(req, (await getAggregate(deps.db, id))!, false) };
  });

  app.get('/v2.1/os-aggregates/:id', async (req) => {
    admin(req, 'show');
    return { aggregate: view(req, await load(req)) };
  });

  app.put('/v2.1/os-aggregates/:id', { schema: { body: updateBody } }, async (req) => {
    admin(req, 'update');
    const agg = await load(req);
    const b = (req.body as { aggregate: { name?: string; availability_zone?: string | null } }).aggregate;
    await checkZone(agg, b.availability_zone, 'update aggregate');
    if (b.name !== undefined && b.name !== agg.name) {
      try {
        await renameAggregate(deps.db, agg.id, b.name);
      } catch (err) {
        if (isUniqueViolation(err)) throw new Conflict(`Aggregate ${b.name} already exists.`);
        throw err;
      }
    }
    if (b.availability_zone !== undefined) await updateAggregateMetadata(deps.db, agg.id, { [AZ_KEY]: b.availability_zone });
    return { aggregate: view(req, (await getAggregate(deps.db, agg.id))!) };
  });

  app.delete('/v2.1/os-aggregates/:id', async (req, reply) => {
    admin(req, 'delete');
    const agg = await load(req);
    // Nova answers 400 (InvalidAggregateAction) for an aggregate that still has hosts.
    if (!await deleteEmptyAggregate(deps.db, agg.id)) throw new BadRequest(invalidAction('delete', agg.id, 'Host aggregate is not empty'));
    return reply.code(200).send();
  });

  app.post('/v2.1/os-aggregates/:id/action', { schema: { body: actionBody } }, async (req) => {
    const body = req.body as { add_host?: { host: string }; remove_host?: { host: string }; set_metadata?: { metadata: Record<string, string | null> } };
    if (body.add_host) {
      admin(req, 'add_host');
      const agg = await load(req);
      const { host } = body.add_host;
      if (!(await listServices(deps.db, { host, binary: AGENT_BINARY })).length) throw new NotFound(`Compute host ${host} could not be found.`);
      if (agg.hosts.includes(host)) throw new Conflict(`Aggregate ${agg.id} already has host ${host}.`);
      // Nova: a host whose zone would become ambiguous is refused with 409 here.
      await checkZone(agg, agg.metadata[AZ_KEY], 'add_host', 409, [host]);
      try {
        await addAggregateHost(deps.db, agg.id, host);
      } catch (err) {
        if (isUniqueViolation(err)) throw new Conflict(`Aggregate ${agg.id} already has host ${host}.`);
        throw err;
      }
      await mirror(req, host);
    } else if (body.remove_host) {
      admin(req, 'remove_host');
      const agg = await load(req);
      const { host } = body.remove_host;
      if (!await removeAggregateHost(deps.db, agg.id, host)) throw new NotFound(`Cannot remove host ${host} in aggregate ${agg.id}`);
      await mirror(req, host);
    } else {
      admin(req, 'set_metadata');
      const agg = await load(req);
      const changes = body.set_metadata!.metadata;
      if (AZ_KEY in changes) await checkZone(agg, changes[AZ_KEY], 'update aggregate metadata');
      await updateAggregateMetadata(deps.db, agg.id, changes);
    }
    return { aggregate: view(req, (await getAggregate(deps.db, Number((req.params as { id: string }).id)))!) };
  });
}
