// POST /volumes/{id}/action: extend, admin state resets and force delete, bootable and read-only flags, and the legacy
// attach protocol Nova still speaks (reserve, initialize_connection, attach, begin/roll detaching, detach).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EXTENDABLE, EXTENDABLE_IN_USE } from '../domain/volume-states.ts';
import { attachmentNotFound, invalidInput, invalidVolume } from '../domain/errors.ts';
import type { Volume } from '../domain/models.ts';
import { updateVolume } from '../db/volumes-repo.ts';
import { beginExtendWithinQuota } from '../db/quotas-repo.ts';
import { attachmentsOf, updateAttachment } from '../db/attachments-repo.ts';
import { volumeServer } from '../rpc/volume-rpc.ts';
import { authorize, busContext, callerOf, loadVolume } from './deps.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { volumeIdParam, deleteVolume } from './volumes.ts';
import { complete, detach, initializeConnection, reserve, settleVolumeStatus } from './attach-flow.ts';
import { volumeActionBody } from './schemas/volume-actions.ts';
import { toBool } from './schemas/common.ts';
import { BadRequest } from '#lib/errors.ts';
import { toBusContext } from '#lib/bus/index.ts';
import { getType } from '../db/types-repo.ts';
import { atLeast } from './microversion.ts';
import { findType } from './volume-types-lookup.ts';

type Body = Record<string, Record<string, unknown> | null>;
type Handler = (deps: BlockStorageApiDeps, req: FastifyRequest, reply: FastifyReply, c: { caller: Caller; v: Volume; args: Record<string, unknown> }) => Promise<unknown>;

const ATTACH_RULE = 'volume_extension:volume_actions:attach';

/** Runs a legacy attach-protocol status change, or answers Cinder's 400 when the volume is elsewhere. */
async function move(deps: BlockStorageApiDeps, v: Volume, from: string[], to: string): Promise<void> {
  if (!from.includes(v.status) || !await updateVolume(deps.db, v.id, { status: to }, from)) {
    throw invalidVolume(`Volume status must be ${from.join(' or ')}, but it is ${v.status}.`);
  }
}

const actions: Record<string, { rule: string; handler: Handler }> = {
  'os-extend': {
    rule: 'volume:extend',
    async handler(deps, req, reply, { caller, v, args }) {
      const newSize = Number(args.new_size);
      // From 3.42 an attached volume is extended too (its own policy rule); Compute then makes the guest see the size.
      const inUse = v.status === 'in-use' && atLeast(req, 42);
      if (inUse) authorize(deps, caller, 'volume:extend_attached_volume', v.projectId);
      const from = inUse ? EXTENDABLE_IN_USE : EXTENDABLE;
      if (!from.includes(v.status)) {
        throw invalidVolume(`Volume ${v.id} status must be ${atLeast(req, 42) ? 'available or in-use' : 'available'} to extend, but current status is: ${v.status}.`);
      }
      if (newSize <= v.size) throw invalidInput(`New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`);
      if (!await beginExtendWithinQuota(deps.db, v, newSize, from, deps.settings.quotaDefaults)) throw invalidVolume(`Volume ${v.id} changed status meanwhile.`);
      await deps.volume.cast('extendVolume', { volume: { id: v.id, sizeGb: newSize, format: v.format, location: v.providerLocation }, oldSizeGb: v.size },
        busContext(req), { server: volumeServer(v.host!) });
      return reply.code(202).send();
    },
  },
  'os-reset_status': {
    rule: 'volume_extension:volume_admin_actions:reset_status',
    async handler(deps, _req, reply, { v, args }) {
      const status = typeof args.status === 'string' ? args.status.toLowerCase() : undefined;
      const attach = args.attach_status as string | undefined;
      await updateVolume(deps.db, v.id, { ...(status ? { status } : {}), ...(attach ? { attach_status: attach } : {}) });
      return reply.code(202).send();
    },
  },
  'os-force_delete': {
    rule: 'volume_extension:volume_admin_actions:force_delete',
    async handler(deps, req, reply, { v }) {
      await deleteVolume(deps, req, v, { cascade: false, force: true });
      return reply.code(202).send();
    },
  },
  'os-set_bootable': {
    rule: 'volume_extension:volume_actions:set_bootable',
    async handler(deps, _req, reply, { v, args }) {
      await updateVolume(deps.db, v.id, { bootable: toBool(args.bootable as string | boolean, 'bootable') });
      return reply.code(200).send();
    },
  },
  'os-update_readonly_flag': {
    rule: 'volume:update_readonly_flag',
    async handler(deps, _req, reply, { v, args }) {
      if (!['available', 'in-use'].includes(v.status)) throw invalidVolume(`Volume status must be available or in-use, but it is ${v.status}.`);
      await updateVolume(deps.db, v.id, { read_only: toBool(args.readonly as string | boolean, 'readonly') });
      return reply.code(202).send();
    },
  },
  'os-reserve': {
    rule: ATTACH_RULE,
    async handler(deps, _req, reply, { v }) {
      await reserve(deps, v, { instanceUuid: null, mode: 'rw', status: 'attaching' });
      return reply.code(202).send();
    },
  },
  'os-unreserve': {
    rule: ATTACH_RULE,
    async handler(deps, req, reply, { v }) {
      if (v.status !== 'attaching') throw invalidVolume(`Volume status must be attaching to unreserve, but it is ${v.status}.`);
      for (const a of await attachmentsOf(deps.db, v.id)) if (a.status === 'attaching' || a.status === 'reserved') await detach(deps, req, v, a);
      await settleVolumeStatus(deps, v.id);
      return reply.code(202).send();
    },
  },
  'os-begin_detaching': {
    rule: ATTACH_RULE,
    async handler(deps, _req, reply, { v }) {
      await move(deps, v, ['in-use'], 'detaching');
      return reply.code(202).send();
    },
  },
  'os-roll_detaching': {
    rule: ATTACH_RULE,
    async handler(deps, _req, reply, { v }) {
      if (v.status === 'detaching') await move(deps, v, ['detaching'], 'in-use');
      return reply.code(202).send();
    },
  },
  'os-initialize_connection': {
    rule: ATTACH_RULE,
    async handler(deps, req, reply, { v, args }) {
      const info = await initializeConnection(deps, req, v, args.connector as Record<string, unknown>, v.readOnly);
      return reply.code(200).send({ connection_info: info });
    },
  },
  'os-terminate_connection': {
    rule: ATTACH_RULE,
    async handler(deps, req, reply, { v, args }) {
      if (v.host) {
        await deps.volume.call('terminateConnection', { volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation }, connector: (args.connector ?? null) as Record<string, unknown> | null },
          busContext(req), { server: volumeServer(v.host), timeoutMs: deps.settings.rpcTimeoutMs });
      }
      return reply.code(202).send();
    },
  },
  'os-attach': {
    rule: ATTACH_RULE,
    async handler(deps, _req, reply, { v, args }) {
      const instanceUuid = (args.instance_uuid ?? null) as string | null;
      const host = (args.host_name ?? null) as string | null;
      if (!instanceUuid && !host) throw invalidInput('Either instance_uuid or host_name must be given.');
      const pending = (await attachmentsOf(deps.db, v.id)).find((a) => a.status === 'attaching' || a.status === 'reserved');
      const a = pending ?? await reserve(deps, v, { instanceUuid, mode: (args.mode as 'rw' | 'ro' | undefined) ?? 'rw', status: 'attaching' });
      if (instanceUuid && a.instanceUuid === null) await updateAttachment(deps.db, a.id, { instanceUuid });
      await complete(deps, a, { mountpoint: args.mountpoint as string, host });
      return reply.code(202).send();
    },
  },
  'os-retype': {
    rule: 'volume:retype',
    async handler(deps, req, reply, { caller, v, args }) {
      // A retype to a type of another backend moves the data there (migration_policy on-demand, as Cinder's generic
      // migration: the scheduler picks the backend, which copies the volume; the id stays). Without on-demand, or for
      // an attached volume (Cinder would have Compute swap it), or a format change within the backend: refused.
      if (!['available', 'in-use'].includes(v.status)) throw invalidVolume(`Volume status must be available or in-use to retype, but it is ${v.status}.`);
      const type = await findType(deps, caller, args.new_type as string);
      if (type.id === v.volumeTypeId) throw invalidInput('Retype requires a different volume type.');
      const policy = args.migration_policy ?? 'never';
      if (policy !== 'never' && policy !== 'on-demand') throw invalidInput(`migration_policy must be never or on-demand, not ${JSON.stringify(policy)}.`);
      const backend = type.extraSpecs.volume_backend_name;
      const here = v.host?.split('@')[1]?.split('#')[0];
      const newFormat = type.extraSpecs.volume_format ?? deps.settings.defaultFormat;
      if (backend !== undefined && backend !== here) {
        if (policy !== 'on-demand') throw invalidVolume(`volume type ${type.name} needs backend ${backend}: retype with migration_policy on-demand to move the volume.`);
        if (v.status !== 'available') throw invalidVolume('Only an available volume is moved to another backend; detach it first.');
        if (!await updateVolume(deps.db, v.id, { status: 'retyping', migration_status: 'starting' }, ['available'])) throw invalidVolume('Volume changed status meanwhile.');
        await deps.scheduler.cast('migrateVolume', { volumeId: v.id, newTypeId: type.id, newFormat, previousStatus: 'available', hold: 'retyping' }, busContext(req));
        return reply.code(202).send();
      }
      if (newFormat !== v.format) throw invalidVolume(`volume type ${type.name} needs another volume format than ${v.format}.`);
      const multiattach = /^<is>\s*true$/i.test(type.extraSpecs.multiattach ?? '');
      if (!multiattach && v.multiattach && (await attachmentsOf(deps.db, v.id)).filter((a) => a.status !== 'detached').length > 1) {
        throw invalidVolume('a volume attached more than once cannot lose multiattach.');
      }
      if (!await updateVolume(deps.db, v.id, { volume_type_id: type.id, multiattach }, [v.status])) throw invalidVolume('Volume changed status meanwhile.');
      return reply.code(202).send();
    },
  },
  'os-migrate_volume': {
    rule: 'volume_extension:volume_admin_actions:migrate_volume',
    async handler(deps, req, reply, { v, args }) {
      // The same generic migration as a retype, keeping the type; the volume is in maintenance meanwhile.
      const host = (args.host ?? undefined) as string | undefined;
      if (host === undefined && !atLeast(req, 16)) throw invalidInput('host is required before microversion 3.16.');
      if (v.status !== 'available') throw invalidVolume(`Volume ${v.id} status must be available to migrate, but current status is: ${v.status}.`);
      if (host !== undefined && v.host && volumeServer(host) === volumeServer(v.host)) throw invalidInput('Destination host must be different than the current host.');
      if (!await updateVolume(deps.db, v.id, { status: 'maintenance', migration_status: 'starting' }, ['available'])) throw invalidVolume('Volume changed status meanwhile.');
      await deps.scheduler.cast('migrateVolume', { volumeId: v.id, newTypeId: v.volumeTypeId, newFormat: v.format, previousStatus: 'available', hold: 'maintenance', host }, busContext(req));
      return reply.code(202).send();
    },
  },
  'os-volume_upload_image': {
    rule: 'volume_extension:volume_actions:upload_image',
    async handler(deps, req, reply, { v, args }) {
      const force = args.force !== undefined && args.force !== null && toBool(args.force as string | boolean, 'force');
      const from = force ? ['available', 'in-use'] : ['available'];
      if (!from.includes(v.status) || !v.host) throw invalidVolume(`Volume ${v.id} status must be available${force ? ' or in-use' : ''}, but current status is: ${v.status}.`);
      if ((args.visibility !== undefined || args.protected !== undefined) && !atLeast(req, 1)) throw invalidInput('visibility and protected need microversion 3.1.');
      const endpoint = await deps.images?.endpoint();
      if (!endpoint) throw new BadRequest('Uploading to an image needs the Image service, which this cloud\'s catalog does not list.');
      const diskFormat = (args.disk_format as string | undefined) ?? 'raw';
      if (!await updateVolume(deps.db, v.id, { status: 'uploading' }, [v.status])) throw invalidVolume('Volume changed status meanwhile.');
      const res = await fetch(`${endpoint.replace(/\/+$/, '')}/v2/images`, {
        method: 'POST',
        headers: { 'x-auth-token': req.ctx.authToken ?? '', 'x-service-token': await deps.images!.serviceToken(), 'content-type': 'application/json' },
        body: JSON.stringify({
          name: args.image_name, disk_format: diskFormat, container_format: 'bare', min_disk: v.size,
          ...(args.visibility ? { visibility: args.visibility } : {}), ...(args.protected !== undefined && args.protected !== null ? { protected: toBool(args.protected as string | boolean, 'protected') } : {}),
        }),
      }).catch((err: Error) => err);
      if (res instanceof Error || res.status !== 201) {
        await updateVolume(deps.db, v.id, { status: v.status }, ['uploading']);
        throw new BadRequest(`The Image service refused the new image: ${res instanceof Error ? res.message : `${res.status} ${(await res.text()).slice(0, 200)}`}`);
      }
      const image = await res.json() as { id: string; status: string; updated_at: string; container_format: string; disk_format: string; name: string };
      await deps.volume.cast('uploadToImage', { volume: { id: v.id, sizeGb: v.size, format: v.format, location: v.providerLocation }, image: { id: image.id, diskFormat, endpoint }, previousStatus: v.status },
        toBusContext(req.ctx, { forwardToken: true }), { server: volumeServer(v.host) });
      return reply.code(202).send({
        'os-volume_upload_image': {
          id: v.id, updated_at: image.updated_at, status: 'uploading', display_description: v.description, size: v.size,
          volume_type: (await getType(deps.db, v.volumeTypeId))?.name ?? null, image_id: image.id, container_format: image.container_format,
          disk_format: image.disk_format, image_name: image.name,
        },
      });
    },
  },
  'os-detach': {
    rule: ATTACH_RULE,
    async handler(deps, req, reply, { v, args }) {
      const id = (args?.attachment_id ?? null) as string | null;
      const all = (await attachmentsOf(deps.db, v.id)).filter((a) => a.status !== 'detached');
      const targets = id ? all.filter((a) => a.id === id) : all;
      if (id && targets.length === 0) throw attachmentNotFound(id);
      if (!id && all.length > 1) throw invalidVolume('Volume has more than one attachment: name the attachment_id to detach.');
      for (const a of targets) await detach(deps, req, v, a);
      await settleVolumeStatus(deps, v.id);
      return reply.code(202).send();
    },
  },
};

export function registerVolumeActions(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  app.post('/volumes/:volume_id/action', { schema: { body: volumeActionBody } }, async (req, reply) => {
    const caller = callerOf(deps, req);
    const [name, args] = Object.entries(req.body as Body)[0];
    const action = actions[name];
    const v = await loadVolume(deps, caller, volumeIdParam(req), 'volume:get');
    authorize(deps, caller, action.rule, v.projectId);
    return action.handler(deps, req, reply, { caller, v, args: args ?? {} });
  });
}
