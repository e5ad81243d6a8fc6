// Server metadata: list, show one, merge (POST), replace (PUT), set one, delete one — within the metadata_items
// quota, and refused on a locked server for its project.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '#lib/errors.ts';
import { checkQuota } from '../domain/quotas.ts';
import { extraSpecUriMismatch } from '../domain/errors.ts';
import { deleteInstanceMetadataKey, getInstance, setInstanceMetadata } from '../db/instances-repo.ts';
import { projectLimits } from '../db/quotas-repo.ts';
import type { Instance } from '../domain/instance.ts';
import { assertUnlocked, loadServer } from './servers.ts';
import type { ComputeApiDeps } from './deps.ts';
import { metadataBody, metaItemBody } from './schemas/servers.ts';

const keyParam = (req: FastifyRequest): string => (req.params as { key: string }).key;

async function withinQuota(deps: ComputeApiDeps, server: Instance, after: Record<string, string>): Promise<void> {
  const limit = (await projectLimits(deps.db, server.projectId)).metadata_items;
  checkQuota({ metadata_items: limit }, { metadata_items: 0 }, { metadata_items: Object.keys(after).length });
}

async function current(deps: ComputeApiDeps, uuid: string): Promise<Record<string, string>> {
  return (await getInstance(deps.db, uuid))?.metadata ?? {};
}

export function registerServerMetadata(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get('/v2.1/servers/:server_id/metadata', async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:server-metadata:index');
    return { metadata: server.metadata };
  });

  app.get('/v2.1/servers/:server_id/metadata/:key', async (req) => {
    const { server } = await loadServer(deps, req, 'os_compute_api:server-metadata:show');
    const key = keyParam(req);
    if (!(key in server.metadata)) throw new NotFound('Metadata item was not found');
    return { meta: { [key]: server.metadata[key] } };
  });

  const write = (rule: string, replace: boolean) => async (req: FastifyRequest) => {
    const { caller, server } = await loadServer(deps, req, rule);
    assertUnlocked(caller, server);
    const metadata = (req.body as { metadata: Record<string, string> }).metadata;
    await withinQuota(deps, server, replace ? metadata : { ...server.metadata, ...metadata });
    await setInstanceMetadata(deps.db, server.uuid, metadata, replace);
    return { metadata: await current(deps, server.uuid) };
  };
  app.post('/v2.1/servers/:server_id/metadata', { schema: { body: metadataBody } }, write('os_compute_api:server-metadata:create', false));
  app.put('/v2.1/servers/:server_id/metadata', { schema: { body: metadataBody } }, write('os_compute_api:server-metadata:update_all', true));

  app.put('/v2.1/servers/:server_id/metadata/:key', { schema: { body: metaItemBody } }, async (req) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:server-metadata:update');
    assertUnlocked(caller, server);
    const meta = (req.body as { meta: Record<string, string> }).meta;
    const key = keyParam(req);
    if (!(key in meta)) throw extraSpecUriMismatch();
    await withinQuota(deps, server, { ...server.metadata, ...meta });
    await setInstanceMetadata(deps.db, server.uuid, meta, false);
    return { meta };
  });

  app.delete('/v2.1/servers/:server_id/metadata/:key', async (req, reply) => {
    const { caller, server } = await loadServer(deps, req, 'os_compute_api:server-metadata:delete');
    assertUnlocked(caller, server);
    if (!await deleteInstanceMetadataKey(deps.db, server.uuid, keyParam(req))) throw new NotFound('Metadata item was not found');
    return reply.code(204).send();
  });
}

