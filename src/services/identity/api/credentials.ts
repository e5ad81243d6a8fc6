// /v3/credentials: secrets users keep in Identity (EC2 key pairs, TOTP seeds, certificates), encrypted at rest
// and readable only by their owner and by admins.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, StratusError } from '#lib/errors.ts';
import type { Credentials } from '#lib/context.ts';
import type { IdentityApiDeps } from './deps.ts';
import { authorize, collectionLinks } from './deps.ts';
import { asBool, newId, parseJson } from '../db/crud.ts';
import type { CredentialRow } from '../db/tables.ts';
import { forbiddenAction, notFound } from '../domain/errors.ts';
import { decryptCredentialBlob, ec2CredentialId, encryptCredentialBlob } from '../domain/credential-blob.ts';
import { credentialView } from './views.ts';
import { credentialCreate, credentialUpdate } from './schemas/delegation.ts';
import { splitExtra, storing } from './entity-input.ts';

interface CredentialInput { id?: string; user_id: string; project_id?: string | null; type: string; blob: string }

const KNOWN = ['user_id', 'project_id', 'type', 'blob'];
/** Keys of an ec2 blob that bind it to the delegation it was made under; Keystone never lets them change. */
const EC2_BOUND_KEYS = ['trust_id', 'app_cred_id', 'access_token_id'];

const isEc2 = (type: string): boolean => type.toLowerCase() === 'ec2';

/** An ec2 blob: a JSON object with a string `access` (the key the credential is named after); 400 otherwise. */
function ec2Blob(blob: string): Record<string, unknown> & { access: string } {
  let parsed: unknown;
  try { parsed = JSON.parse(blob); } catch { parsed = undefined; }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BadRequest('Invalid blob in credential: an ec2 blob is a JSON object such as {"access": "...", "secret": "..."}.');
  }
  const access = (parsed as Record<string, unknown>).access;
  if (typeof access !== 'string' || access === '') throw new BadRequest("Invalid input for field 'access': an ec2 blob needs a non-empty access key.");
  return parsed as Record<string, unknown> & { access: string };
}

/**
 * Delegated tokens (trusts, application credentials) were issued for one project: as in Keystone they reach only
 * credentials of that project, never user-level ones (a TOTP seed has no project).
 */
function checkDelegatedScope(creds: Credentials, credential: { project_id: string | null }): void {
  if (!creds.trustId && !creds.applicationCredentialId) return;
  const tokenProject = creds.scope.kind === 'project' ? creds.scope.projectId : undefined;
  if (!credential.project_id || credential.project_id !== tokenProject) {
    throw forbiddenAction('Credential project does not match the project scope of the delegated token');
  }
}

const withinDelegation = (creds: Credentials, credential: CredentialRow): boolean => {
  try { checkDelegatedScope(creds, credential); return true; } catch { return false; }
};

export function registerCredentials(app: FastifyInstance, deps: IdentityApiDeps): void {
  const db = deps.db;
  const target = (c: { user_id?: string; project_id?: string | null; type?: string }) =>
    ({ target: { credential: { user_id: c.user_id, project_id: c.project_id, type: c.type } } });

  function reveal(row: CredentialRow): string {
    const blob = decryptCredentialBlob(deps.credentialKeys(), row.id, row);
    if (blob === undefined) {
      throw new StratusError(500, 'CredentialDecryptionFailed',
        `The blob of credential ${row.id} cannot be decrypted: its key (${row.key_hash}) is no longer in the credential key repository, or the row was altered.`);
    }
    return blob;
  }

  async function userExists(userId: string): Promise<void> {
    if (!(await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst())) throw new BadRequest(`Could not find user: ${userId}.`);
  }

  /** As Keystone: a restricted application credential cannot mint EC2 credentials (they would outlive its limits). */
  async function refuseRestrictedAppCred(creds: Credentials): Promise<void> {
    if (!creds.applicationCredentialId) return;
    const appCred = await db.selectFrom('application_credentials').select('unrestricted').where('id', '=', creds.applicationCredentialId).executeTakeFirst();
    if (!appCred || !asBool(appCred.unrestricted)) throw forbiddenAction("Using method 'application_credential' is not allowed for managing additional credentials");
  }

  /**
   * The credential in the path, authorized. As in Keystone the policy runs first, on an empty target when the
   * credential does not exist, so only callers who could read any credential learn which ids exist.
   */
  async function load(req: FastifyRequest, rule: string): Promise<{ row: CredentialRow; creds: Credentials }> {
    const { credential_id } = req.params as { credential_id: string };
    const row = await db.selectFrom('credentials').selectAll().where('id', '=', credential_id).executeTakeFirst();
    const creds = authorize(deps, req, rule, row ? target(row) : { target: { credential: {} } });
    if (!row) throw notFound('credential', credential_id);
    checkDelegatedScope(creds, row);
    return { row, creds };
  }

  app.post('/v3/credentials', { schema: { body: credentialCreate } }, async (req, reply) => {
    const body = (req.body as { credential: CredentialInput & Record<string, unknown> }).credential;
    const creds = authorize(deps, req, 'identity:create_credential', target(body));
    const projectId = body.project_id ?? null;
    checkDelegatedScope(creds, { project_id: projectId });
    let id = newId();
    let blob = body.blob;
    if (isEc2(body.type)) {
      if (!projectId) throw new BadRequest("Invalid input for field 'project_id': an ec2 credential requires a project_id.");
      await refuseRestrictedAppCred(creds);
      const parsed = ec2Blob(body.blob);
      id = ec2CredentialId(parsed.access);
      // As Keystone: an ec2 credential made with a delegated token records the delegation, so EC2 authentication
      // with it can never yield more than that delegation allowed.
      if (creds.trustId) parsed.trust_id = creds.trustId;
      if (creds.applicationCredentialId) parsed.app_cred_id = creds.applicationCredentialId;
      if (creds.trustId || creds.applicationCredentialId) blob = JSON.stringify(parsed);
    }
    await userExists(body.user_id);
    const sealed = encryptCredentialBlob(deps.credentialKeys(), id, blob);
    const row: CredentialRow = {
      id, user_id: body.user_id, project_id: projectId, type: body.type, encrypted_blob: sealed.encryptedBlob,
      key_hash: sealed.keyHash, extra: JSON.stringify(splitExtra(body, KNOWN).extra),
    };
    await storing('credential', 'id', id, () => db.insertInto('credentials').values(row).execute());
    return reply.code(201).send({ credential: credentialView(req, row, blob) });
  });

  app.get('/v3/credentials', async (req) => {
    const q = req.query as { user_id?: string; type?: string };
    // As Keystone: the list is authorized for the caller, then every credential is checked as a show would be.
    const creds = authorize(deps, req, 'identity:list_credentials', target({ user_id: req.ctx.credentials?.userId }));
    let query = db.selectFrom('credentials').selectAll();
    if (q.user_id !== undefined) query = query.where('user_id', '=', q.user_id);
    if (q.type !== undefined) query = query.where('type', '=', q.type);
    const visible = (await query.execute())
      .filter((c) => deps.policy.allowed('identity:get_credential', creds, target(c)) && withinDelegation(creds, c));
    return { credentials: visible.map((c) => credentialView(req, c, reveal(c))), links: collectionLinks(req) };
  });

  app.get('/v3/credentials/:credential_id', async (req) => {
    const { row } = await load(req, 'identity:get_credential');
    return { credential: credentialView(req, row, reveal(row)) };
  });

  app.patch('/v3/credentials/:credential_id', { schema: { body: credentialUpdate } }, async (req) => {
    const { row, creds } = await load(req, 'identity:update_credential');
    const patch = (req.body as { credential: Partial<CredentialInput> & Record<string, unknown> }).credential;
    if (patch.id !== undefined && patch.id !== row.id) throw new BadRequest(`Cannot change the id of credential ${row.id}.`);
    const next = {
      user_id: patch.user_id ?? row.user_id, type: patch.type ?? row.type,
      project_id: patch.project_id !== undefined ? patch.project_id : row.project_id,
    };
    // The credential after the change must be one the caller may hold too: no handing it to another user.
    authorize(deps, req, 'identity:update_credential', target(next));
    checkDelegatedScope(creds, next);
    const current = reveal(row);
    const blob = patch.blob ?? current;
    if (isEc2(next.type)) {
      if (!next.project_id) throw new BadRequest("Invalid input for field 'project_id': an ec2 credential requires a project_id.");
      const parsed = ec2Blob(blob);
      if (ec2CredentialId(parsed.access) !== row.id) {
        throw new BadRequest(`The access key of ec2 credential ${row.id} cannot change, since the id is derived from it: create a new credential instead.`);
      }
      if (isEc2(row.type)) {
        const old = parseJson<Record<string, unknown>>(current, {});
        for (const key of EC2_BOUND_KEYS) if ((old[key] ?? null) !== (parsed[key] ?? null)) throw new BadRequest(`${key} can not be updated for credential`);
      }
    }
    if (next.user_id !== row.user_id) await userExists(next.user_id);
    // Re-encrypted with the current primary key, so an update also moves a blob off a key about to be retired.
    const sealed = encryptCredentialBlob(deps.credentialKeys(), row.id, blob);
    const updated: CredentialRow = {
      ...row, ...next, encrypted_blob: sealed.encryptedBlob, key_hash: sealed.keyHash,
      extra: JSON.stringify({ ...parseJson<Record<string, unknown>>(row.extra, {}), ...splitExtra(patch, KNOWN).extra }),
    };
    await db.updateTable('credentials').set(updated).where('id', '=', row.id).execute();
    return { credential: credentialView(req, updated, blob) };
  });

  app.delete('/v3/credentials/:credential_id', async (req, reply) => {
    const { row } = await load(req, 'identity:delete_credential');
    await db.deleteFrom('credentials').where('id', '=', row.id).execute();
    return reply.code(204).send();
  });
}
