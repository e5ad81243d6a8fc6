// The attachments API (3.27+; complete from 3.44; mode from 3.54): how Compute attaches a volume — create (reserve,
// or reserve and connect when a connector comes along), update with a connector (connection_info), complete, delete.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '#lib/errors.ts';
import type { Attachment } from '../domain/models.ts';
import { attachmentNotFound } from '../domain/errors.ts';
import { attachmentsOf, getAttachment, listAttachments } from '../db/attachments-repo.ts';
import { getVolume } from '../db/volumes-repo.ts';
import { authorize, callerOf, loadVolume } from './deps.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { attachmentView } from './views.ts';
import { complete, connect, detach, reserve } from './attach-flow.ts';
import { uuidField } from './schemas/common.ts';

const connector = { type: ['object', 'null'] } as const;

const createBody = {
  type: 'object', required: ['attachment'], additionalProperties: false,
  properties: {
    attachment: {
      type: 'object', required: ['volume_uuid'], additionalProperties: false,
      properties: { volume_uuid: uuidField, instance_uuid: { anyOf: [uuidField, { type: 'null' }] }, connector, mode: { type: 'string', enum: ['rw', 'ro'] } },
    },
  },
} as const;

const updateBody = {
  type: 'object', required: ['attachment'], additionalProperties: false,
  properties: { attachment: { type: 'object', required: ['connector'], additionalProperties: false, properties: { connector: { type: 'object' } } } },
} as const;

const actionBody = { type: 'object', required: ['os-complete'], additionalProperties: false, properties: { 'os-complete': { type: ['object', 'null'] } } } as const;

const idParam = (req: FastifyRequest): string => (req.params as { attachment_id: string }).attachment_id;

/** An attachment of a volume the caller may act on under `rule`; anything else is a 404. */
async function loadAttachment(deps: BlockStorageApiDeps, caller: Caller, id: string, rule: string): Promise<Attachment> {
  const a = await getAttachment(deps.db, id);
  const v = a && await getVolume(deps.db, a.volumeId);
  if (!a || !v || (!caller.isAdmin && v.projectId !== caller.projectId)) throw attachmentNotFound(id);
  authorize(deps, caller, rule, v.projectId);
  return a;
}

export function registerAttachments(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  const base = '/attachments';

  for (const [path, detailed] of [[base, false], [`${base}/detail`, true]] as const) {
    app.get(path, async (req) => {
      since(req, 27);
      const caller = callerOf(deps, req);
      authorize(deps, caller, 'volume:attachment_get', caller.projectId);
      const q = req.query as { volume_id?: string; instance_id?: string; all_tenants?: string; limit?: string };
      const all = q.all_tenants !== undefined && caller.isAdmin;
      const limit = Math.min(Number(q.limit ?? deps.settings.maxLimit) || deps.settings.maxLimit, deps.settings.maxLimit);
      const rows = await listAttachments(deps.db, { projectId: all ? undefined : caller.projectId ?? '', volumeId: q.volume_id, instanceUuid: q.instance_id, limit });
      return { attachments: rows.map((a) => attachmentView(a, detailed)) };
    });
  }

  app.get(`${base}/:attachment_id`, async (req) => {
    since(req, 27);
    return { attachment: attachmentView(await loadAttachment(deps, callerOf(deps, req), idParam(req), 'volume:attachment_get'), true) };
  });

  app.post(base, { schema: { body: createBody } }, async (req) => {
    since(req, 27);
    const caller = callerOf(deps, req);
    const b = (req.body as { attachment: { volume_uuid: string; instance_uuid?: string | null; connector?: Record<string, unknown> | null; mode?: 'rw' | 'ro' } }).attachment;
    if (b.mode !== undefined && !atLeast(req, 54)) throw new BadRequest("Invalid input for field/attribute attachment. Additional properties are not allowed ('mode' was unexpected)");
    const v = await loadVolume(deps, caller, b.volume_uuid, 'volume:attachment_create');
    if (!b.instance_uuid && !b.connector) throw new BadRequest('Invalid input received: an attachment needs an instance_uuid or a connector.');
    let a = await reserve(deps, v, { instanceUuid: b.instance_uuid ?? null, mode: b.mode ?? 'rw' });
    if (b.connector) a = await connect(deps, req, (await getVolume(deps.db, v.id))!, a, b.connector);
    return { attachment: attachmentView(a, true) };
  });

  app.put(`${base}/:attachment_id`, { schema: { body: updateBody } }, async (req) => {
    since(req, 27);
    const caller = callerOf(deps, req);
    const a = await loadAttachment(deps, caller, idParam(req), 'volume:attachment_update');
    const v = (await getVolume(deps.db, a.volumeId))!;
    const updated = await connect(deps, req, v, a, (req.body as { attachment: { connector: Record<string, unknown> } }).attachment.connector);
    return { attachment: attachmentView(updated, true) };
  });

  app.post(`${base}/:attachment_id/action`, { schema: { body: actionBody } }, async (req, reply) => {
    since(req, 44);
    const caller = callerOf(deps, req);
    const a = await loadAttachment(deps, caller, idParam(req), 'volume:attachment_complete');
    if (!a.connectionInfo) throw new BadRequest(`Invalid attachment: attachment ${a.id} has no connector yet; update it with one before completing it.`);
    await complete(deps, a);
    return reply.code(204).send();
  });

  app.delete(`${base}/:attachment_id`, async (req) => {
    since(req, 27);
    const caller = callerOf(deps, req);
    const a = await loadAttachment(deps, caller, idParam(req), 'volume:attachment_delete');
    const v = (await getVolume(deps.db, a.volumeId))!;
    await detach(deps, req, v, a);
    return { attachments: (await attachmentsOf(deps.db, v.id)).map((x) => attachmentView(x, false)) };
  });
}
