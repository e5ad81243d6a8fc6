// os-keypairs: a user's SSH keys and x509 certificates (imported, or generated here with the private key returned
// once), which servers receive through the metadata service and config drive.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '#lib/db/index.ts';
import { BadRequest } from '#lib/errors.ts';
import { keypairExists, keypairNotFound } from '../domain/errors.ts';
import { checkQuota } from '../domain/quotas.ts';
import { fingerprintOf, generateRsaKeyPair } from '../domain/ssh-keys.ts';
import { generateX509KeyPair, x509FingerprintOf } from '../domain/x509-keys.ts';
import { deleteKeyPair, getKeyPair, insertKeyPair, listKeyPairs } from '../db/keypairs-repo.ts';
import { keyPairCount, projectLimits } from '../db/quotas-repo.ts';
import type { KeyPairRow } from '../db/tables.ts';
import { callerOf } from './deps.ts';
import type { ComputeApiDeps } from './deps.ts';
import { atLeast } from './microversion.ts';

const createBody = {
  type: 'object', required: ['keypair'], additionalProperties: false,
  properties: {
    keypair: {
      type: 'object', required: ['name'], additionalProperties: false,
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9 _.@-]+$' },
        public_key: { type: 'string' },
        type: { type: 'string', enum: ['ssh', 'x509'] },
        user_id: { type: 'string' },
      },
    },
  },
} as const;

/** The user whose keys a request is about: ?user_id= / body user_id for admins (2.10+), else the caller. */
function targetUser(deps: ComputeApiDeps, req: FastifyRequest, rule: string, requested?: string): string {
  const caller = callerOf(deps, req);
  const userId = requested && atLeast(req, 10) ? requested : caller.credentials.userId;
  deps.policy.enforce(rule, caller.credentials, { user_id: userId, project_id: caller.projectId });
  return userId;
}

function view(req: FastifyRequest, k: KeyPairRow, full: boolean): Record<string, unknown> {
  return {
    name: k.name, public_key: k.public_key, fingerprint: k.fingerprint, ...(atLeast(req, 2) ? { type: k.type } : {}),
    ...(full ? { user_id: k.user_id, created_at: k.created_at.replace(/Z$/, ''), deleted: false, deleted_at: null, updated_at: null } : {}),
  };
}

export function registerKeyPairs(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/v2.1/os-keypairs', { schema: { body: createBody } }, async (req, reply) => {
    const k = (req.body as { keypair: { name: string; public_key?: string; type?: string; user_id?: string } }).keypair;
    if (k.type !== undefined && !atLeast(req, 2)) throw new BadRequest("Invalid input for field/attribute keypair. Additional properties are not allowed ('type' was unexpected)");
    // 2.92 allows '@' and '.' in names and no longer generates keys (the private key would cross the API).
    if (!atLeast(req, 92) && /[.@]/.test(k.name)) throw new BadRequest(`Invalid input for field/attribute name. Value: ${k.name}. '${k.name}' does not match '^[_\\- a-zA-Z0-9]+$'`);
    if (/^\s|\s$/.test(k.name)) throw new BadRequest(`Invalid input for field/attribute name. Value: ${k.name}. '${k.name}' has leading or trailing whitespace`);
    if (atLeast(req, 92) && k.public_key === undefined) throw new BadRequest("Invalid input for field/attribute keypair. Value: {'name': '" + k.name + "'}. 'public_key' is a required property");
    const userId = targetUser(deps, req, 'os_compute_api:os-keypairs:create', k.user_id);
    const type = k.type ?? 'ssh';
    const caller = callerOf(deps, req);
    if (caller.projectId) {
      checkQuota({ key_pairs: (await projectLimits(deps.db, caller.projectId)).key_pairs }, { key_pairs: await keyPairCount(deps.db, userId) }, { key_pairs: 1 });
    }
    let privateKey: string | undefined;
    let publicKey = k.public_key;
    let fingerprint: string;
    if (publicKey === undefined) {
      // Before 2.92 Nova generated both types; an x509 pair is a client certificate whose subject is the user.
      const made = type === 'x509' ? await generateX509KeyPair(userId) : generateRsaKeyPair(`Generated-by-Stratus`);
      ({ publicKey, privateKey, fingerprint } = made);
    } else {
      fingerprint = type === 'x509' ? x509FingerprintOf(publicKey) : fingerprintOf(publicKey);
    }
    const row: KeyPairRow = { user_id: userId, name: k.name, type, public_key: publicKey.trim(), fingerprint, created_at: new Date().toISOString() };
    try {
      await insertKeyPair(deps.db, row);
    } catch (err) {
      if (isUniqueViolation(err)) throw keypairExists(k.name);
      throw err;
    }
    return reply.code(atLeast(req, 2) ? 201 : 200).send({
      keypair: { ...view(req, row, false), user_id: userId, ...(privateKey ? { private_key: privateKey } : {}) },
    });
  });

  app.get('/v2.1/os-keypairs', async (req) => {
    const q = req.query as { user_id?: string; limit?: string; marker?: string };
    const userId = targetUser(deps, req, 'os_compute_api:os-keypairs:index', q.user_id);
    const limit = Math.min(q.limit !== undefined && atLeast(req, 35) ? Number(q.limit) : deps.maxLimit, deps.maxLimit);
    if (!Number.isInteger(limit) || limit < 0) throw new BadRequest('Invalid input for query parameters limit.');
    const marker = atLeast(req, 35) ? q.marker : undefined;
    if (marker !== undefined && !await getKeyPair(deps.db, userId, marker)) throw new BadRequest(`Marker ${marker} could not be found.`);
    const rows = await listKeyPairs(deps.db, userId, { afterName: marker, limit });
    return { keypairs: rows.map((r) => ({ keypair: view(req, r, false) })) };
  });

  app.get('/v2.1/os-keypairs/:name', async (req) => {
    const userId = targetUser(deps, req, 'os_compute_api:os-keypairs:show', (req.query as { user_id?: string }).user_id);
    const name = (req.params as { name: string }).name;
    const row = await getKeyPair(deps.db, userId, name);
    if (!row) throw keypairNotFound(name, userId);
    return { keypair: view(req, row, true) };
  });

  app.delete('/v2.1/os-keypairs/:name', async (req, reply) => {
    const userId = targetUser(deps, req, 'os_compute_api:os-keypairs:delete', (req.query as { user_id?: string }).user_id);
    const name = (req.params as { name: string }).name;
    if (!await deleteKeyPair(deps.db, userId, name)) throw keypairNotFound(name, userId);
    return reply.code(atLeast(req, 2) ? 204 : 202).send();
  });
}
