// Volume transfers (os-volume-transfer; volume-transfers from 3.55): the owner offers an available volume, gets an
// auth key once, and whoever presents the transfer id and key takes the volume (and its snapshots) into their project.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '#lib/errors.ts';
import { authKeyMatches, hashAuthKey, newAuthKey } from '../domain/transfer-key.ts';
import { invalidVolume } from '../domain/errors.ts';
import type { TransferRow } from '../db/tables.ts';
import { acceptTransfer, beginTransfer, cancelTransfer, getTransfer, listTransfers } from '../db/transfers-repo.ts';
import { authorize, callerOf, loadVolume, pathProject } from './deps.ts';
import type { BlockStorageApiDeps, Caller } from './deps.ts';
import { atLeast, since } from './microversion.ts';
import { links } from './views.ts';
import { nameField, uuidField } from './schemas/common.ts';

const createBody = {
  type: 'object', required: ['transfer'], additionalProperties: false,
  properties: {
    transfer: {
      type: 'object', required: ['volume_id'], additionalProperties: false,
      properties: { volume_id: uuidField, name: nameField, no_snapshots: { type: 'boolean' } },
    },
  },
} as const;

const acceptBody = {
  type: 'object', required: ['accept'], additionalProperties: false,
  properties: { accept: { type: 'object', required: ['auth_key'], additionalProperties: false, properties: { auth_key: { type: 'string', minLength: 1, maxLength: 255 } } } },
} as const;

const transferNotFound = (id: string) => new NotFound(`Transfer ${id} could not be found.`);

function view(req: FastifyRequest, t: TransferRow, detailed: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = { id: t.id, name: t.name, volume_id: t.volume_id, links: links(req, t.project_id, 'os-volume-transfer', t.id) };
  if (!detailed) return base;
  return {
    ...base, created_at: t.created_at.replace(/Z$/, ''),
    ...(atLeast(req, 55) ? { no_snapshots: Boolean(t.no_snapshots) } : {}),
    ...(atLeast(req, 57) ? { source_project_id: t.project_id, destination_project_id: null, accepted: false } : {}),
  };
}

/** The giver's transfer: another project's is a 404 (accept is the only way in for them). */
async function loadOwn(deps: BlockStorageApiDeps, caller: Caller, id: string, rule: string): Promise<TransferRow> {
  const t = await getTransfer(deps.db, id);
  if (!t || (!caller.isAdmin && t.project_id !== caller.projectId)) throw transferNotFound(id);
  authorize(deps, caller, rule, t.project_id);
  return t;
}

export function registerTransfers(app: FastifyInstance, deps: BlockStorageApiDeps): void {
  for (const [base, minor] of [['/os-volume-transfer', 0], ['/volume-transfers', 55]] as const) {
    const idOf = (req: FastifyRequest) => (req.params as { transfer_id: string }).transfer_id;

    for (const [path, detailed] of [[base, false], [`${base}/detail`, true]] as const) {
      app.get(path, async (req) => {
        since(req, minor);
        const caller = callerOf(deps, req);
        authorize(deps, caller, 'volume:get_all_transfers', pathProject(req));
        const all = caller.isAdmin && (req.query as { all_tenants?: string }).all_tenants !== undefined;
        return { transfers: (await listTransfers(deps.db, all ? undefined : caller.projectId ?? '')).map((t) => view(req, t, detailed)) };
      });
    }

    app.post(base, { schema: { body: createBody } }, async (req, reply) => {
      since(req, minor);
      const caller = callerOf(deps, req);
      const b = (req.body as { transfer: { volume_id: string; name?: string | null; no_snapshots?: boolean } }).transfer;
      if (b.no_snapshots !== undefined && !atLeast(req, 55)) throw new BadRequest("Invalid input for field/attribute transfer. Additional properties are not allowed ('no_snapshots' was unexpected)");
      if (b.no_snapshots) throw new BadRequest('Transferring a volume without its snapshots is not supported by this cloud.');
      const v = await loadVolume(deps, caller, b.volume_id, 'volume:create_transfer');
      const authKey = newAuthKey();
      const { salt, hash } = hashAuthKey(authKey);
      const t: TransferRow = {
        id: randomUUID(), volume_id: v.id, project_id: v.projectId, name: b.name ?? null, salt, crypt_hash: hash, no_snapshots: false,
        created_at: new Date().toISOString(),
      };
      if (!await beginTransfer(deps.db, t)) throw invalidVolume(`status must be available, but the volume is ${v.status}.`);
      return reply.code(202).send({ transfer: { ...view(req, t, true), auth_key: authKey } });
    });

    app.get(`${base}/:transfer_id`, async (req) => {
      since(req, minor);
      return { transfer: view(req, await loadOwn(deps, callerOf(deps, req), idOf(req), 'volume:get_transfer'), true) };
    });

    app.delete(`${base}/:transfer_id`, async (req, reply) => {
      since(req, minor);
      await cancelTransfer(deps.db, await loadOwn(deps, callerOf(deps, req), idOf(req), 'volume:delete_transfer'));
      return reply.code(202).send();
    });

    app.post(`${base}/:transfer_id/accept`, { schema: { body: acceptBody } }, async (req, reply) => {
      since(req, minor);
      const caller = callerOf(deps, req);
      const id = idOf(req);
      authorize(deps, caller, 'volume:accept_transfer', caller.projectId);
      const t = await getTransfer(deps.db, id);
      if (!t || !caller.projectId) throw transferNotFound(id);
      if (!authKeyMatches((req.body as { accept: { auth_key: string } }).accept.auth_key, t.salt, t.crypt_hash)) {
        throw new BadRequest(`Invalid auth key: Attempt to transfer ${id} with invalid auth key.`);
      }
      if (!await acceptTransfer(deps.db, t, { projectId: caller.projectId, userId: caller.userId }, deps.settings.quotaDefaults)) throw transferNotFound(id);
      return reply.code(202).send({ transfer: { id: t.id, name: t.name, volume_id: t.volume_id, links: links(req, caller.projectId, 'os-volume-transfer', t.id) } });
    });
  }
}
