// /resource_classes (1.2+): standard classes are read-only; CUSTOM_ ones are created, renamed (before 1.7) or deleted.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { CUSTOM_NAME_PATTERN, MAX_NAME_LENGTH, isCustomName } from '../domain/resource-classes.ts';
import {
  createResourceClass, deleteResourceClass, ensureResourceClass, listResourceClasses, renameResourceClass, resourceClassExists,
} from '../db/resource-classes-repo.ts';
import type { PlacementApiDeps } from './deps.ts';
import { authorize } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { validBody } from './validate.ts';
import { resourceClassView } from './views.ts';

const classBody = {
  type: 'object', properties: { name: { type: 'string', pattern: CUSTOM_NAME_PATTERN, maxLength: MAX_NAME_LENGTH } },
  required: ['name'], additionalProperties: false,
};

export function registerResourceClasses(app: FastifyInstance, deps: PlacementApiDeps): void {
  const { db } = deps.store;
  const location = (req: FastifyRequest, name: string) => `${req.protocol}://${req.headers.host ?? req.host}/resource_classes/${name}`;

  app.get('/resource_classes', async (req) => {
    since(req, 2);
    authorize(deps, req, 'placement:resource_classes:list');
    return { resource_classes: (await listResourceClasses(db)).map(resourceClassView) };
  });

  app.post('/resource_classes', async (req, reply) => {
    since(req, 2);
    authorize(deps, req, 'placement:resource_classes:create');
    const { name } = validBody<{ name: string }>(classBody, req.body);
    await createResourceClass(db, name);
    reply.header('location', location(req, name));
    return reply.code(201).send();
  });

  app.get('/resource_classes/:name', async (req) => {
    since(req, 2);
    authorize(deps, req, 'placement:resource_classes:show');
    const { name } = req.params as { name: string };
    if (!(await resourceClassExists(db, name))) throw new NotFound(`No such resource class ${name}.`);
    return resourceClassView(name);
  });

  app.put('/resource_classes/:name', async (req, reply) => {
    since(req, 2);
    authorize(deps, req, 'placement:resource_classes:update');
    const { name } = req.params as { name: string };
    if (!atLeast(req, 7)) {
      // 1.2–1.6: a rename, the new name in the body.
      const body = validBody<{ name: string }>(classBody, req.body);
      await renameResourceClass(db, name, body.name);
      return resourceClassView(body.name);
    }
    if (!isCustomName(name)) throw new BadRequest(`JSON does not validate: '${name}' does not match '${CUSTOM_NAME_PATTERN}'`);
    const created = await ensureResourceClass(db, name);
    reply.header('location', location(req, name));
    return reply.code(created ? 201 : 204).send();
  });

  app.delete('/resource_classes/:name', async (req, reply) => {
    since(req, 2);
    authorize(deps, req, 'placement:resource_classes:delete');
    await deleteResourceClass(db, (req.params as { name: string }).name);
    return reply.code(204).send();
  });
}
