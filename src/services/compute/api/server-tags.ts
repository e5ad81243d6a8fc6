// Server tags (2.26+): /servers/{id}/tags lists, replaces and clears a server's tags; /servers/{id}/tags/{tag}
// checks, adds and removes one. Changes need a settled server (Nova: ACTIVE, PAUSED, SUSPENDED or SHUTOFF).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import type { Instance } from '../domain/instance.ts';
import { VmState } from '../domain/vm-states.ts';
import { instanceInvalidState } from '../domain/errors.ts';
import { MAX_TAGS, addTag, deleteAllTags, deleteTag, listTags, replaceTags } from '../db/tags-repo.ts';
import type { ComputeApiDeps } from './deps.ts';
import { since } from './microversion.ts';
import { loadServer } from './servers.ts';

/** Nova's tag: 1–60 characters, no comma (lists are comma separated) and no slash (tags are path segments). */
export const tagSchema = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' } as const;
export const tagsSchema = { type: 'array', items: tagSchema, maxItems: MAX_TAGS } as const;

const replaceBody = { type: 'object', required: ['tags'], additionalProperties: false, properties: { tags: tagsSchema } } as const;

const TAGGABLE: string[] = [VmState.active, VmState.paused, VmState.suspended, VmState.stopped];

function assertTaggable(server: Instance, action: string): void {
  if (!TAGGABLE.includes(server.vmState)) throw instanceInvalidState('vm_state', server.vmState, server.uuid, action);
}

const tagParam = (req: FastifyRequest): string => (req.params as { tag: string }).tag;

function checkTag(tag: string): void {
  if (!tag || tag.length > 60 || /[,/]/.test(tag)) {
    throw new BadRequest(`Tag '${tag}' is invalid. It must be a non empty string of at most 60 characters without ',' and '/'.`);
  }
}

async function server(deps: ComputeApiDeps, req: FastifyRequest, rule: string): Promise<Instance> {
  since(req, 26);
  return (await loadServer(deps, req, `os_compute_api:os-server-tags:${rule}`)).server;
}

export function registerServerTags(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/servers/:server_id/tags', async (req) => {
    const s = await server(deps, req, 'index');
    return { tags: await listTags(deps.db, s.uuid) };
  });

  app.put('/v2.1/servers/:server_id/tags', { schema: { body: replaceBody } }, async (req) => {
    const s = await server(deps, req, 'update_all');
    assertTaggable(s, 'update tags');
    return { tags: await replaceTags(deps.db, s.uuid, (req.body as { tags: string[] }).tags) };
  });

  app.delete('/v2.1/servers/:server_id/tags', async (req, reply) => {
    const s = await server(deps, req, 'delete_all');
    assertTaggable(s, 'delete tags');
    await deleteAllTags(deps.db, s.uuid);
    return reply.code(204).send();
  });

  app.get('/v2.1/servers/:server_id/tags/:tag', async (req, reply) => {
    const s = await server(deps, req, 'show');
    const tag = tagParam(req);
    if (!(await listTags(deps.db, s.uuid)).includes(tag)) throw new NotFound(`Instance ${s.uuid} has no tag '${tag}'`);
    return reply.code(204).send();
  });

  app.put('/v2.1/servers/:server_id/tags/:tag', async (req: FastifyRequest, reply: FastifyReply) => {
    const s = await server(deps, req, 'update');
    assertTaggable(s, 'update tag');
    const tag = tagParam(req);
    checkTag(tag);
    const outcome = await addTag(deps.db, s.uuid, tag);
    if (outcome === 'full') throw new BadRequest(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
    if (outcome === 'exists') return reply.code(204).send();
    const origin = `${req.protocol}://${req.headers.host ?? req.host}`;
    return reply.code(201).header('location', `${origin}/v2.1/servers/${s.uuid}/tags/${encodeURIComponent(tag)}`).send();
  });

  app.delete('/v2.1/servers/:server_id/tags/:tag', async (req, reply) => {
    const s = await server(deps, req, 'delete');
    assertTaggable(s, 'delete tag');
    const tag = tagParam(req);
    if (!await deleteTag(deps.db, s.uuid, tag)) throw new NotFound(`Instance ${s.uuid} has no tag '${tag}'`);
    return reply.code(204).send();
  });
}
