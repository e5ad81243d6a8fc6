// /v3/projects: create (with a parent in the hierarchy), list with filters, show, update, delete, tags.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden } from '#lib/errors.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, callerDomainId, collectionLinks, requireDomain } from './deps.ts';
import { crud, newId, nowIso, parseJson } from '../db/crud.ts';
import type { ProjectRow } from '../db/tables.ts';
import { notFound } from '../domain/errors.ts';
import { projectView } from './views.ts';
import { envelope, projectCreate, projectUpdate } from './schemas/resources.ts';
import { boolFilter, nameFilters, splitExtra, storing } from './entity-input.ts';
import { deleteProjectRows } from './cascade.ts';

const KNOWN = ['name', 'description', 'enabled', 'domain_id', 'parent_id', 'is_domain', 'tags', 'options'] as const;
const TAG = /^[^,/]{1,255}$/;

function tagFilters(rows: ProjectRow[], q: Record<string, string | undefined>): ProjectRow[] {
  const split = (v?: string) => (v ? v.split(',') : undefined);
  const all = split(q.tags), any = split(q['tags-any']), notAll = split(q['not-tags']), notAny = split(q['not-tags-any']);
  return rows.filter((p) => {
    const t = parseJson<string[]>(p.tags, []);
    if (all && !all.every((x) => t.includes(x))) return false;
    if (any && !any.some((x) => t.includes(x))) return false;
    if (notAll && notAll.every((x) => t.includes(x))) return false;
    if (notAny && notAny.some((x) => t.includes(x))) return false;
    return true;
  });
}

export function registerProjects(app: FastifyInstance, deps: IdentityApiDeps): void {
  const projects = crud(deps.db, 'projects');
  const load = async (id: string) => (await projects.get(id)) ?? Promise.reject(notFound('project', id));
  const target = (p: ProjectRow) => ({ target: { project: { id: p.id, domain_id: p.domain_id }, domain_id: p.domain_id } });

  /** The domain a new project lands in: its parent's, the one given, or the caller's. */
  async function placement(req: FastifyRequest, known: Record<string, unknown>): Promise<{ domainId: string; parentId: string | null }> {
    const parentId = (known.parent_id as string | null | undefined) ?? null;
    let domainId = known.domain_id as string | null | undefined;
    if (parentId) {
      const parent = await deps.db.selectFrom('projects').select(['id', 'domain_id']).where('id', '=', parentId).executeTakeFirst();
      const parentDomain = parent ? undefined : await deps.db.selectFrom('domains').select('id').where('id', '=', parentId).executeTakeFirst();
      if (!parent && !parentDomain) throw new BadRequest(`Could not find project: ${parentId}.`);
      if (parentDomain) return { domainId: parentDomain.id, parentId: null };
      if (domainId && domainId !== parent!.domain_id) throw new BadRequest('Cannot create project: its domain must be the domain of its parent.');
      return { domainId: parent!.domain_id, parentId };
    }
    domainId ??= callerDomainId(req);
    await requireDomain(deps, domainId);
    return { domainId, parentId: null };
  }

  app.post('/v3/projects', { schema: { body: envelope('project', projectCreate) } }, async (req, reply) => {
    const { known, extra } = splitExtra((req.body as { project: Record<string, unknown> }).project, KNOWN);
    const { domainId, parentId } = await placement(req, known);
    authorize(deps, req, 'identity:create_project', { target: { project: { domain_id: domainId }, domain_id: domainId } });
    const tags = (known.tags as string[] | undefined) ?? [];
    const row: ProjectRow = {
      id: newId(), name: known.name as string, domain_id: domainId, parent_id: parentId,
      description: (known.description as string | null) ?? '', enabled: known.enabled !== false,
      tags: JSON.stringify([...new Set(tags)]), extra: JSON.stringify(extra), created_at: nowIso(),
    };
    await storing('project', 'name', row.name, () => projects.insert(row));
    return reply.code(201).send({ project: projectView(req, row) });
  });

  app.get('/v3/projects', async (req) => {
    const q = req.query as Record<string, string | undefined>;
    authorize(deps, req, 'identity:list_projects', { target: { domain_id: q.domain_id } });
    if (q.is_domain !== undefined && boolFilter(q.is_domain)) return { projects: [], links: collectionLinks(req) };
    const rows = await projects.list({ name: q.name, domain_id: q.domain_id, enabled: boolFilter(q.enabled), parent_id: q.parent_id });
    return { projects: tagFilters(nameFilters(rows, q), q).map((p) => projectView(req, p)), links: collectionLinks(req) };
  });

  app.get('/v3/projects/:project_id', async (req) => {
    const p = await load((req.params as { project_id: string }).project_id);
    authorize(deps, req, 'identity:get_project', target(p));
    return { project: projectView(req, p) };
  });

  app.patch('/v3/projects/:project_id', { schema: { body: envelope('project', projectUpdate) } }, async (req) => {
    const p = await load((req.params as { project_id: string }).project_id);
    authorize(deps, req, 'identity:update_project', target(p));
    const { known, extra } = splitExtra((req.body as { project: Record<string, unknown> }).project, KNOWN);
    if (known.domain_id !== undefined && known.domain_id !== p.domain_id) throw new BadRequest('Update of `domain_id` is not allowed.');
    if (known.is_domain === true) throw new BadRequest('Update of `is_domain` is not allowed.');
    const patch = {
      ...(known.name !== undefined ? { name: known.name as string } : {}),
      ...(known.description !== undefined ? { description: (known.description as string | null) ?? '' } : {}),
      ...(known.enabled !== undefined ? { enabled: known.enabled as boolean } : {}),
      ...(known.tags !== undefined ? { tags: JSON.stringify([...new Set(known.tags as string[])]) } : {}),
      ...(Object.keys(extra).length ? { extra: JSON.stringify({ ...parseJson(p.extra, {}), ...extra }) } : {}),
    };
    await storing('project', 'name', String(known.name), () => projects.update(p.id, patch));
    if (patch.enabled === false) await deps.revocations.revoke({ projectId: p.id });
    deps.state.changed();
    return { project: projectView(req, (await projects.get(p.id))!) };
  });

  app.delete('/v3/projects/:project_id', async (req, reply) => {
    const p = await load((req.params as { project_id: string }).project_id);
    authorize(deps, req, 'identity:delete_project', target(p));
    const child = await deps.db.selectFrom('projects').select('id').where('parent_id', '=', p.id).executeTakeFirst();
    if (child) throw new Forbidden(`Cannot delete the project ${p.id} since it is not a leaf in the hierarchy.`);
    await deleteProjectRows(deps.db, p.id);
    await deps.revocations.revoke({ projectId: p.id });
    deps.state.changed();
    return reply.code(204).send();
  });

  // Project tags: /v3/projects/{id}/tags[/{tag}]
  const tagsOf = (p: ProjectRow) => parseJson<string[]>(p.tags, []);
  app.get('/v3/projects/:project_id/tags', async (req) => {
    const p = await load((req.params as { project_id: string }).project_id);
    authorize(deps, req, 'identity:get_project', target(p));
    return { tags: tagsOf(p) };
  });
  app.put('/v3/projects/:project_id/tags', { schema: { body: { type: 'object', required: ['tags'], additionalProperties: false, properties: { tags: { type: 'array', maxItems: 80, items: { type: 'string', pattern: TAG.source } } } } } }, async (req) => {
    const p = await load((req.params as { project_id: string }).project_id);
    authorize(deps, req, 'identity:update_project', target(p));
    const tags = [...new Set((req.body as { tags: string[] }).tags)];
    await projects.update(p.id, { tags: JSON.stringify(tags) });
    return { tags };
  });
  app.put('/v3/projects/:project_id/tags/:tag', async (req, reply) => {
    const { project_id, tag } = req.params as { project_id: string; tag: string };
    const p = await load(project_id);
    authorize(deps, req, 'identity:update_project', target(p));
    if (!TAG.test(tag)) throw new BadRequest(`Invalid tag: ${tag}. Tags are 1 to 255 characters without commas or slashes.`);
    const tags = tagsOf(p);
    if (!tags.includes(tag)) {
      if (tags.length >= 80) throw new BadRequest('A project can have at most 80 tags.');
      await projects.update(p.id, { tags: JSON.stringify([...tags, tag]) });
    }
    return reply.code(201).send();
  });
  app.get('/v3/projects/:project_id/tags/:tag', async (req, reply) => {
    const { project_id, tag } = req.params as { project_id: string; tag: string };
    const p = await load(project_id);
    authorize(deps, req, 'identity:get_project', target(p));
    if (!tagsOf(p).includes(tag)) throw notFound('tag', tag);
    return reply.code(204).send();
  });
  app.delete('/v3/projects/:project_id/tags/:tag', async (req, reply) => {
    const { project_id, tag } = req.params as { project_id: string; tag: string };
    const p = await load(project_id);
    authorize(deps, req, 'identity:update_project', target(p));
    if (!tagsOf(p).includes(tag)) throw notFound('tag', tag);
    await projects.update(p.id, { tags: JSON.stringify(tagsOf(p).filter((t) => t !== tag)) });
    return reply.code(204).send();
  });
  app.delete('/v3/projects/:project_id/tags', async (req, reply) => {
    const p = await load((req.params as { project_id: string }).project_id);
    authorize(deps, req, 'identity:update_project', target(p));
    await projects.update(p.id, { tags: '[]' });
    return reply.code(204).send();
  });
}
