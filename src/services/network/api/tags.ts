// Standard-attribute tags on networks, subnets, ports, security groups, routers and floating IPs:
// /v2.0/<collection>/<id>/tags (GET, PUT to replace, DELETE all) and /tags/<tag> (GET, PUT, DELETE). Reading needs
// the resource to be visible; changing tags needs the resource's update rule, and bumps its revision.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { addTag, removeTag, replaceTags, tagsOf, touchRow } from '../db/standard-attrs.ts';
import type { StandardTable } from '../db/tables.ts';
import { NeutronError } from '../domain/errors.ts';
import { callerOf, enforce, idParam, now } from './deps.ts';
import type { Caller, NetworkApiDeps, Target } from './deps.ts';
import { loadNetwork, networkTarget } from './networks.ts';
import { loadSubnet, subnetTarget } from './subnets.ts';
import { loadPort, portTarget } from './ports.ts';
import { loadGroup } from './security-groups.ts';
import { loadRouter } from './routers.ts';
import { loadFip } from './floating-ips.ts';
import { tags as tagsSchema } from './schemas/common.ts';

type Loader = (deps: NetworkApiDeps, caller: Caller, id: string) => Promise<Target>;

const RESOURCES: Record<string, { table: StandardTable; rule: string; load: Loader }> = {
  networks: { table: 'networks', rule: 'update_network', load: async (d, c, id) => networkTarget(await loadNetwork(d, c, id)) },
  subnets: { table: 'subnets', rule: 'update_subnet', load: async (d, c, id) => { const s = await loadSubnet(d, c, id); return subnetTarget(s.subnet, s.network); } },
  ports: { table: 'ports', rule: 'update_port', load: async (d, c, id) => { const p = await loadPort(d, c, id); return portTarget(p.port, p.network); } },
  'security-groups': { table: 'security_groups', rule: 'update_security_group', load: async (d, c, id) => ({ project_id: (await loadGroup(d, c, id)).project_id }) },
  routers: { table: 'routers', rule: 'update_router', load: async (d, c, id) => ({ project_id: (await loadRouter(d, c, id)).project_id }) },
  floatingips: { table: 'floating_ips', rule: 'update_floatingip', load: async (d, c, id) => ({ project_id: (await loadFip(d, c, id)).project_id }) },
};

const TAG = /^[^,/]{1,255}$/;
const tagParam = (req: FastifyRequest): string => {
  const tag = idParam(req, 'tag');
  if (!TAG.test(tag)) throw new NeutronError(400, 'InvalidInput', `Invalid input for operation: '${tag}' is not a valid tag.`);
  return tag;
};

export function registerTags(app: FastifyInstance, deps: NetworkApiDeps): void {
  for (const [collection, res] of Object.entries(RESOURCES)) {
    const base = `/v2.0/${collection}/:id/tags`;
    const writable = async (req: FastifyRequest) => {
      const caller = callerOf(deps, req);
      const id = idParam(req);
      enforce(deps, caller, res.rule, await res.load(deps, caller, id));
      return id;
    };
    const current = async (id: string) => (await tagsOf(deps.db, [id])).get(id) ?? [];

    app.get(base, async (req) => {
      const caller = callerOf(deps, req);
      await res.load(deps, caller, idParam(req));
      return { tags: await current(idParam(req)) };
    });
    app.get(`${base}/:tag`, async (req, reply) => {
      const caller = callerOf(deps, req);
      await res.load(deps, caller, idParam(req));
      const tag = tagParam(req);
      if (!(await current(idParam(req))).includes(tag)) throw new NeutronError(404, 'TagNotFound', `Tag ${tag} could not be found for ${collection.replace(/s$/, '')} ${idParam(req)}.`);
      reply.code(204);
    });
    app.put(base, { schema: { body: { type: 'object', additionalProperties: false, required: ['tags'], properties: { tags: tagsSchema } } } }, async (req) => {
      const id = await writable(req);
      await deps.db.transaction().execute(async (tx) => {
        await replaceTags(tx, id, (req.body as { tags: string[] }).tags);
        await touchRow(tx, res.table, id, { now: now() });
      });
      return { tags: await current(id) };
    });
    app.delete(base, async (req, reply) => {
      const id = await writable(req);
      await deps.db.transaction().execute(async (tx) => {
        await replaceTags(tx, id, []);
        await touchRow(tx, res.table, id, { now: now() });
      });
      reply.code(204);
    });
    app.put(`${base}/:tag`, async (req, reply) => {
      const id = await writable(req);
      const tag = tagParam(req);
      if ((await current(id)).length >= 50 && !(await current(id)).includes(tag)) throw new NeutronError(400, 'InvalidInput', 'Invalid input for operation: a resource holds at most 50 tags.');
      if (await addTag(deps.db, id, tag)) await touchRow(deps.db, res.table, id, { now: now() });
      reply.code(201);
    });
    app.delete(`${base}/:tag`, async (req, reply) => {
      const id = await writable(req);
      const tag = tagParam(req);
      if (!await removeTag(deps.db, id, tag)) throw new NeutronError(404, 'TagNotFound', `Tag ${tag} could not be found for ${collection.replace(/s$/, '')} ${id}.`);
      await touchRow(deps.db, res.table, id, { now: now() });
      reply.code(204);
    });
  }
}
