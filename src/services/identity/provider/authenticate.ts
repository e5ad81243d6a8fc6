// The auth methods of POST /v3/auth/tokens: password, token and application_credential, each proving who the caller is.
import type { IdentityDb, UserRow, AppCredRow } from '../db/tables.ts';
import { asBool } from '../db/crud.ts';
import { verifySecret } from '../domain/password-hash.ts';
import { Unauthorized } from '#lib/errors.ts';
import type { TokenPayload } from '../domain/token-format.ts';

export interface IdentityRef { id?: string; name?: string; domain?: { id?: string; name?: string } }

export interface AuthIdentity {
  methods: string[];
  password?: { user: IdentityRef & { password: string } };
  token?: { id: string };
  application_credential?: { id?: string; name?: string; secret: string; user?: IdentityRef };
}

/** Who authenticated, and what an earlier token or credential constrains about the new one. */
export interface AuthResult {
  user: UserRow;
  methods: string[];
  /** A token method carries over the original token's expiry and audit chain. */
  fromToken?: TokenPayload;
  appCred?: AppCredRow;
}

const unauthorized = (): Unauthorized => new Unauthorized('The request you have made requires authentication.');

export async function findUser(db: IdentityDb, ref: IdentityRef): Promise<UserRow | undefined> {
  if (ref.id) return db.selectFrom('users').selectAll().where('id', '=', ref.id).executeTakeFirst();
  if (!ref.name || !ref.domain) return undefined;
  const domainId = ref.domain.id ?? (await db.selectFrom('domains').select('id').where('name', '=', ref.domain.name ?? '').executeTakeFirst())?.id;
  if (!domainId) return undefined;
  return db.selectFrom('users').selectAll().where('domain_id', '=', domainId).where('name', '=', ref.name).executeTakeFirst();
}

/** A disabled user or a user of a disabled domain cannot authenticate. */
export async function assertUserActive(db: IdentityDb, user: UserRow): Promise<void> {
  if (!asBool(user.enabled)) throw unauthorized();
  const domain = await db.selectFrom('domains').select('enabled').where('id', '=', user.domain_id).executeTakeFirst();
  if (!domain || !asBool(domain.enabled)) throw unauthorized();
}

/**
 * Checks a password. `decoyHash` is checked when the user does not exist, so the time taken does not reveal which
 * user names exist; it must have the configured hash cost.
 */
export async function authenticatePassword(db: IdentityDb, body: NonNullable<AuthIdentity['password']>, decoyHash: string): Promise<UserRow> {
  const user = await findUser(db, body.user);
  const ok = await verifySecret(body.user.password, user?.password_hash ?? decoyHash);
  if (!user || !ok) throw unauthorized();
  await assertUserActive(db, user);
  if (user.password_expires_at && Date.parse(user.password_expires_at) <= Date.now()) {
    throw new Unauthorized(`The password is expired and needs to be changed for user: ${user.id}.`);
  }
  return user;
}

export async function authenticateAppCred(db: IdentityDb, body: NonNullable<AuthIdentity['application_credential']>): Promise<{ user: UserRow; appCred: AppCredRow }> {
  let appCred: AppCredRow | undefined;
  if (body.id) {
    appCred = await db.selectFrom('application_credentials').selectAll().where('id', '=', body.id).executeTakeFirst();
  } else if (body.name && body.user) {
    const owner = await findUser(db, body.user);
    if (owner) appCred = await db.selectFrom('application_credentials').selectAll().where('user_id', '=', owner.id).where('name', '=', body.name).executeTakeFirst();
  } else {
    throw new Unauthorized('Could not find application credential: an id, or a name with its user, is required.');
  }
  if (!appCred || !(await verifySecret(body.secret, appCred.secret_hash))) throw unauthorized();
  if (appCred.expires_at && Date.parse(appCred.expires_at) <= Date.now()) throw unauthorized();
  const user = await db.selectFrom('users').selectAll().where('id', '=', appCred.user_id).executeTakeFirstOrThrow();
  await assertUserActive(db, user);
  return { user, appCred };
}
