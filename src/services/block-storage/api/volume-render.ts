// Loads what a volume's view needs besides its row (type name, metadata, attachments) and renders it.
import type { FastifyRequest } from 'fastify';
import type { Volume } from '../domain/models.ts';
import { getType } from '../db/types-repo.ts';
import { getMetadata } from '../db/metadata-repo.ts';
import { attachmentsOf } from '../db/attachments-repo.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { volumeDetail } from './views.ts';

export async function renderVolume(deps: BlockStorageApiDeps, req: FastifyRequest, caller: Caller, v: Volume): Promise<Record<string, unknown>> {
  const type = await getType(deps.db, v.volumeTypeId);
  return volumeDetail(req, v, {
    typeName: type?.name ?? v.volumeTypeId, metadata: await getMetadata(deps.db, 'volume_metadata', v.id),
    attachments: await attachmentsOf(deps.db, v.id), isAdmin: deps.policy.allowed('volume_extension:volume_host_attribute', caller.credentials, {}),
  });
}
