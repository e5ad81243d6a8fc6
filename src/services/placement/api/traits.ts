// /traits (the catalogue, 1.6+) and /resource_providers/{uuid}/traits (a provider's traits, generation-checked).
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { isCustomName } from '../domain/resource-classes.ts';
import { requireProvider } from '../db/providers-repo.ts';
import { deleteTrait, ensureTrait, listTraits, providerTraits, setProviderTraits, unknownTraits } from '../db/traits-repo.ts';
import type { TraitFilter } from '../db/traits-repo.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize, pathUuid } from './deps.ts';
import { since } from './microversion.ts';
import { validBody, validQuery } from './validate.ts';
import { providerTraitsPut } from './schemas/providers.ts';

const listQuery = { type: 'object', properties: { name: { type: 'string' }, associated: { type: 'string' } }, additionalProperties: false };

export function registerTraits(app: FastifyInstance, deps: PlacementApiDeps): void {
  const { db } = deps.store;

  app.get('/traits', async (req) => {
    since(req, 6);
    authorize(deps, req, 'placement:traits:list');
    const q = validQuery(listQuery, req.query);
    const f: TraitFilter = {};
    if (q.name !== undefined) {
      const m = /^(in|startswith):(.*)$/.exec(q.name as string);
      if (!m) throw new BadRequest(`Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: "${String(q.name)}"`);
      if (m[1] === 'in') f.names = m[2].split(',').map((n) => n.trim());
      else f.prefix = m[2];
    }
    if (q.associated !== undefined) {
      const a = (q.associated as string).toLowerCase();
      if (a !== 'true' && a !== 'false') throw new BadRequest('The query parameter "associated" only accepts "true" or "false"');
      f.associated = a === 'true';
    }
    return { traits: await listTraits(db, f) };
  });

  app.get('/traits/:name', async (req, reply) => {
    since(req, 6);
    authorize(deps, req, 'placement:traits:show');
    const { name } = req.params as { name: string };
    if ((await unknownTraits(db, [name])).length > 0) throw new NotFound(`No such trait(s): ${name}.`);
    return reply.code(204).send();
  });

  app.put('/traits/:name', async (req, reply) => {
    since(req, 6);
    authorize(deps, req, 'placement:traits:update');
    const { name } = req.params as { name: string };
    if (!isCustomName(name)) {
      throw new BadRequest('The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"');
    }
    const created = await ensureTrait(db, name);
    reply.header('location', `${req.protocol}://${req.headers.host ?? req.host}/traits/${name}`);
    return reply.code(created ? 201 : 204).send();
  });

  app.delete('/traits/:name', async (req, reply) => {
    since(req, 6);
    authorize(deps, req, 'placement:traits:delete');
    await deleteTrait(db, (req.params as { name: string }).name);
    return reply.code(204).send();
  });

  app.get('/resource_providers/:uuid/traits', async (req) => {
    since(req, 6);
    authorize(deps, req, 'placement:resource_providers:traits:list');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    const rp = await requireProvider(db, uuid);
    return { traits: await providerTraits(db, uuid), resource_provider_generation: rp.generation };
  });

  app.put('/resource_providers/:uuid/traits', async (req) => {
    since(req, 6);
    authorize(deps, req, 'placement:resource_providers:traits:update');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    await requireProvider(db, uuid);
    const body = validBody<{ traits: string[]; resource_provider_generation: number }>(providerTraitsPut, req.body);
    const generation = await setProviderTraits(deps.store, uuid, body.traits, body.resource_provider_generation);
    return { traits: await providerTraits(db, uuid), resource_provider_generation: generation };
  });

  app.delete('/resource_providers/:uuid/traits', async (req, reply) => {
    since(req, 6);
    authorize(deps, req, 'placement:resource_providers:traits:delete');
    const uuid = pathUuid((req.params as { uuid: string }).uuid);
    await requireProvider(db, uuid);
    await setProviderTraits(deps.store, uuid, []);
    return reply.code(204).send();
  });
}
