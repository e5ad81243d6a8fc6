// The password a guest posts to the metadata service: set once per instance (the primary key decides a race), read back
// by the guest's tools and by whoever holds the private key it was encrypted with.
import { isUniqueViolation } from '#lib/db/index.ts';
import type { ComputeDb } from './tables.ts';

/** The stored password, or undefined when the guest has posted none. */
export async function getInstancePassword(db: ComputeDb, instanceUuid: string): Promise<string | undefined> {
  const row = await db.selectFrom('instance_passwords').select('password').where('instance_uuid', '=', instanceUuid).executeTakeFirst();
  return row?.password;
}

/** Stores the password; false when one is already stored (the first writer wins). */
export async function setInstancePassword(db: ComputeDb, instanceUuid: string, password: string): Promise<boolean> {
  try {
    await db.insertInto('instance_passwords').values({ instance_uuid: instanceUuid, password, created_at: new Date().toISOString() }).execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}
