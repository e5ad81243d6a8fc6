// The metadata sub-resource of volumes and snapshots (same routes, same rules, two tables): read by readers of the
// owner, written by its project's members; every route authorizes against the owner, never just the URL.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import { metadataNotFound, snapshotMetadataNotFound } from '../domain/errors.ts';
import { deleteMetadataKey, getMetadata, setMetadata } from '../db/metadata-repo.ts';
import type { MetadataTable } from '../db/metadata-repo.ts';
import { callerOf, loadSnapshot, loadVolume } from './deps.ts';
import type { BlockStorageApiDeps } from './deps.ts';
import { metaItemBody, metadataBody } from './schemas/volumes.ts';

interface Owner {
  path: string;
  table: MetadataTable;
  rules: { get: string; update: string; delete: string };
  load(deps: BlockStorageApiDeps, req: FastifyRequest, rule: string): Promise<string>;
  notFound(id: string, key: string): Error;
}

const param = (req: FastifyRequest, name: string): string => (req.params as Record<string, string>)[name];

const owners: Owner[] = [
  {
    path: '/volumes/:owner_id/metadata', table: 'volume_metadata',
    rules: { get: 'volume:get_volume_metadata', update: 'volume:update_volume_metadata', delete: 'volume:delete_volume_metadata' },
    load: async (deps, req, rule) => (await loadVolume(deps, callerOf(deps, req), param(req, 'owner_id'), rule)).id,
    notFound: metadataNotFound,
  },
  {
    path: '/snapshots/:owner_id/metadata', table: 'snapshot_metadata',
    rules: { get: 'volume:get_snapshot_metadata', update: 'volume:update_snapshot_metadata', delete: 'volume:delete_snapshot_metadata' },
    load: async (deps, req, rule) => (await loadSnapshot(deps, callerOf(deps, req), param(req, 'owner_id'), rule)).id,
    notFound: snapshotMetadataNotFound,
  },
];

export function registerMetadata(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  for (const o of owners) {
    app.get(o.path, async (req) => ({ metadata: await getMetadata(deps.db, o.table, await o.load(deps, req, o.rules.get)) }));
    for (const [method, replace] of [['post', false], ['put', true]] as const) {
      app[method](o.path, { schema: { body: metadataBody } }, async (req) => {
        const id = await o.load(deps, req, o.rules.update);
        await setMetadata(deps.db, o.table, id, (req.body as { metadata: Record<string, string> }).metadata, replace);
        return { metadata: await getMetadata(deps.db, o.table, id) };
      });
    }
    app.get(`${o.path}/:key`, async (req) => {
      const id = await o.load(deps, req, o.rules.get);
      const key = param(req, 'key');
      const all = await getMetadata(deps.db, o.table, id);
      if (!(key in all)) throw o.notFound(id, key);
      return { meta: { [key]: all[key] } };
    });
    app.put(`${o.path}/:key`, { schema: { body: metaItemBody } }, async (req) => {
      const id = await o.load(deps, req, o.rules.update);
      const key = param(req, 'key');
      const meta = (req.body as { meta: Record<string, string> }).meta;
      if (!(key in meta)) throw new BadRequest('Request body and URI mismatch');
      await setMetadata(deps.db, o.table, id, meta, false);
      return { meta };
    });
    app.delete(`${o.path}/:key`, async (req, reply) => {
      const id = await o.load(deps, req, o.rules.delete);
      const key = param(req, 'key');
      if (!await deleteMetadataKey(deps.db, o.table, id, key)) throw o.notFound(id, key);
      return reply.code(200).send();
    });
  }
}
